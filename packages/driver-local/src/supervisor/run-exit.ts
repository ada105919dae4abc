/*
 * In the supervisor's program: how a run ends. Local imports name .ts files or are types
 * only: unbuilt, Node runs the program from source and maps no .js to .ts.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { processGroupMembers, readProcStatSync, signalProcess } from '../host/process-identity.ts';
import type { LineWriter } from '../logs/log-writer.ts';
import {
  commitJsonAtomicSync,
  discardJsonAtomicSync,
  type PreparedRecord,
  readRecordSync,
  writeJsonAtomicSync,
} from '../state/json-files.ts';
import { type ExitRecord, isStopRecord } from '../state/run-records.ts';
import { report, send, sleep } from './supervisor-channel.ts';
import type { RunSpec } from './supervisor-protocol.ts';

async function survivors(spec: RunSpec, pgid: number): Promise<number[]> {
  // Every process of a container with a cgroup is in it (joined before anything ran): the
  // process group adds nothing then, and finding its members means reading all of /proc.
  const members = new Set(spec.cgroup?.membersFile ? [] : await processGroupMembers(pgid));
  if (spec.cgroup?.membersFile) {
    try {
      for (const line of readFileSync(spec.cgroup.membersFile, 'utf8').split('\n')) {
        const pid = Number(line);
        // A zombie is already dead; it stays listed only until its parent reaps it.
        if (line.trim() && readProcStatSync(pid)?.state !== 'Z') members.add(pid);
      }
    } catch {
      // Group already gone.
    }
  }
  members.delete(process.pid);
  return [...members];
}

/** The OOM kills the run's cgroup has counted so far (0 where it counts none). */
export function oomCount(spec: RunSpec): number {
  const oom = spec.cgroup?.oom;
  if (!oom) return 0;
  try {
    for (const line of readFileSync(oom.file, 'utf8').split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key === oom.key) return Number(value);
    }
  } catch {
    // No counter: no OOM we can know of.
  }
  return 0;
}

/** Removes cgroup directories, waiting for the kernel to let go of their last members. */
export async function removeGroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        // Off the main thread: one slow removal must not hold up the other containers.
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY') {
          report(`cannot remove cgroup ${dir}: ${String(error)}`);
          break;
        }
        // The kernel releases the last members a moment after they are reaped.
        await sleep(5);
      }
    }
  }
}

function closed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.stdout?.closed !== false && child.stderr?.closed !== false) resolve();
    else child.once('close', () => resolve());
  });
}

/**
 * Ends a run whose main process has exited: whatever of it is left dies, its output is flushed
 * and its exit recorded (if it was ever recorded as started) and reported, and its cgroups go.
 */
export async function finish(
  spec: RunSpec,
  child: ChildProcess,
  writers: LineWriter[],
  fds: number[],
  oomBaseline: number,
  code: number | null,
  signal: NodeJS.Signals | null,
  recorded: boolean,
  exitFile?: PreparedRecord,
): Promise<void> {
  const pgid = child.pid as number;
  const stop = readRecordSync(spec.stopFile, isStopRecord);
  if (stop && stop.run === spec.run) {
    // A stop is under way: the main process may be bubblewrap's monitor, which dies at once,
    // while the real program is still shutting down cleanly. Give it until the deadline.
    while (Date.now() < stop.killAt && (await survivors(spec, pgid)).length > 0) await sleep(25);
  }
  // Whatever is left once the main process ended dies with it, as in a container whose init
  // exited: no orphan keeps running, or holds the log pipes open.
  // In a sandbox, one round does it: bubblewrap's init outlives the program while anything
  // else in the pid namespace runs, and killing it makes the kernel kill the rest, including
  // whatever is forked meanwhile. Without one, a fork can race the kill: repeat until none is
  // left. Either way the log pipes closing (below) is what says the output is complete.
  for (let round = 0; round < (spec.sandboxed ? 1 : 200); round++) {
    const left = await survivors(spec, pgid);
    if (left.length === 0) break;
    for (const pid of left) signalProcess(pid, 'SIGKILL');
    if (!spec.sandboxed) await sleep(5);
  }
  await Promise.race([closed(child), sleep(2000)]);
  for (const writer of writers) writer.end();
  for (const fd of fds) closeSync(fd);
  const oomKilled = oomCount(spec) > oomBaseline;
  const exit: ExitRecord = {
    run: spec.run,
    exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
    signal,
    oomKilled,
    finishedAt: new Date().toISOString(),
  };
  // A run that never got its run record never started as far as anyone knows: an exit record
  // would only be mistaken for the next start's, which takes the same number.
  if (recorded && exitFile) commitJsonAtomicSync(exitFile, spec.exitFile, exit);
  else if (recorded) writeJsonAtomicSync(spec.exitFile, exit);
  else if (exitFile) discardJsonAtomicSync(exitFile);
  send({ type: 'exited', id: spec.id, exit });
  // After the report, as nothing waits for it: the kernel may take a while to let a cpu group
  // go, and the next run has a group of its own (runCgroupName).
  await removeGroups(spec.cgroup?.dirs ?? []);
}
