/*
 * In the supervisor's program: starting the runs the driver sends, each either spawned here
 * (its whole chain: cgroup join, bubblewrap, setpriv, the program) or handed to the warm
 * sandbox made for it. Local imports name .ts files or are types only: unbuilt, Node runs the
 * program from source and maps no .js to .ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { childrenOf, readProcStatSync, signalProcess } from '../host/process-identity.ts';
import { openMountSources } from '../isolation/mount-handles.ts';
import { LineWriter } from '../logs/log-writer.ts';
import {
  commitDraftSync,
  type PreparedRecord,
  prepareJsonAtomicSync,
  writeJsonAtomicSync,
} from '../state/json-files.ts';
import type { ExitRecord, RunRecord } from '../state/run-records.ts';
import type { HeldSandbox } from './held-sandboxes.ts';
import { finish, oomCount } from './run-exit.ts';
import { report, send, sleep, supervisorStat } from './supervisor-channel.ts';
import type { RunSpec } from './supervisor-protocol.ts';

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * Waits until bubblewrap's child has exec'd the next program of the chain: its executable is
 * no longer the monitor's. Gives up when the monitor ends or after ten seconds.
 */
async function sandboxReady(monitor: number): Promise<void> {
  const begun = Date.now();
  const deadline = begun + 10_000;
  while (Date.now() < deadline) {
    const monitorExe = exeOf(monitor);
    if (monitorExe === undefined) return;
    // Under a pid namespace of its own, bubblewrap's init (the same executable) sits between
    // the monitor and the program.
    for (const child of await childrenOf(monitor)) {
      const exe = exeOf(child);
      if (exe !== undefined && exe !== monitorExe) return;
      if (exe === monitorExe) {
        for (const grandchild of await childrenOf(child)) {
          const inner = exeOf(grandchild);
          if (inner !== undefined && inner !== monitorExe) return;
        }
      }
    }
    // Usually ready within ten milliseconds: poll closely at first, then back off so that many
    // starts at once stay cheap.
    await sleep(Date.now() - begun < 30 ? 1 : 5);
  }
}

/** Opens the run's stdout and stderr logs for appending; all or none. */
function openLogs(spec: RunSpec): number[] {
  const fds: number[] = [];
  try {
    for (const log of [spec.stdoutLog, spec.stderrLog]) fds.push(openSync(log, 'a', 0o600));
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  return fds;
}

/** Timestamps the child's output, line by line, into the log files. */
function writeLogs(child: ChildProcess, fds: number[]): LineWriter[] {
  const writers = fds.map((fd) => new LineWriter(fd));
  child.stdout?.on('data', (chunk: Buffer) => writers[0]?.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => writers[1]?.push(chunk));
  return writers;
}

/** Runs one container process; resolves once it has ended and its exit is recorded. */
export function run(spec: RunSpec): Promise<void> {
  return new Promise<void>((complete) => {
    let recorded = false;
    let exitFile: PreparedRecord | undefined;
    const oomBaseline = oomCount(spec);
    const [file, ...args] = spec.argv;
    let spawnedResolve: (ok: boolean) => void = () => undefined;
    const spawned = new Promise<boolean>((resolve) => {
      spawnedResolve = resolve;
    });
    let mountFds: number[];
    try {
      mountFds = openMountSources(spec.mountSources ?? []);
    } catch (error) {
      const failure = error as Error & { code?: string };
      send({
        type: 'failed',
        id: spec.id,
        runNumber: spec.run,
        message: failure.message,
        ...(failure.code ? { code: failure.code } : {}),
      });
      complete();
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(file as string, args, {
        cwd: spec.cwd,
        env: spec.env,
        // Its own process group, so stop can signal the whole tree and nothing else.
        detached: true,
        // The mount handles become descriptors 3, 4, ... of the chain, as its argv says.
        stdio: ['ignore', 'pipe', 'pipe', ...mountFds],
      });
    } finally {
      // The child has its copies (or none, if it failed to spawn).
      for (const fd of mountFds) closeSync(fd);
    }
    // The log files are opened once the program is on its way (it runs on another core while
    // they are created): its output is read only after this returns, so none of it is missed.
    let fds: number[];
    try {
      fds = openLogs(spec);
    } catch (error) {
      // Without its logs it must not run: nothing is recorded for it, nothing reported started.
      if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
      child.removeAllListeners();
      child.once('error', () => undefined);
      throw error;
    }
    const writers = writeLogs(child, fds);
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnedResolve(false);
      if (child.pid !== undefined) return report(error);
      for (const fd of fds) closeSync(fd);
      send({
        type: 'failed',
        id: spec.id,
        runNumber: spec.run,
        message: error.message,
        ...(error.code ? { code: error.code } : {}),
      });
      complete();
    });
    const onSpawned = async () => {
      try {
        const pid = child.pid as number;
        // Report the start only once the program itself runs: until then a stop would find
        // nothing but bubblewrap setting up, and an exec would join half-made namespaces.
        if (spec.sandboxed) await sandboxReady(pid);
        const stat = readProcStatSync(pid);
        const record: RunRecord = {
          run: spec.run,
          pid,
          pidStartTime: stat?.startTime ?? 0,
          supervisorPid: process.pid,
          supervisorStartTime: supervisorStat()?.startTime ?? 0,
          startedAt: new Date().toISOString(),
          sandboxed: spec.sandboxed,
          meta: spec.meta,
        };
        commitDraftSync(spec.runDraft, spec.runFile, record);
        recorded = true;
        send({ type: 'started', id: spec.id, run: record });
        // The exit record's file is made while the program runs, off the path from its end to
        // the record: at the end it only takes a write and a rename.
        try {
          exitFile = prepareJsonAtomicSync(spec.exitFile);
        } catch {
          // Written the usual way at the end instead.
        }
      } catch (error) {
        // Without its run record nobody could find or stop it: it must not keep running.
        report(error);
        signalProcess(-(child.pid as number), 'SIGKILL');
        send({ type: 'failed', id: spec.id, runNumber: spec.run, message: String(error) });
      } finally {
        spawnedResolve(true);
      }
    };
    child.once('spawn', onSpawned);
    child.once('exit', (code, signal) => {
      void spawned
        .then(() =>
          finish(spec, child, writers, fds, oomBaseline, code, signal, recorded, exitFile),
        )
        .catch(report)
        .finally(complete);
    });
  });
}

/**
 * Runs a container in the warm sandbox made for it. The driver wrote its run record before it
 * sent the run (it knew the sandbox's process from 'prepared'), so what is left is to hand the
 * stub its script and record the end, as run does. A sandbox that is gone, or whose stub died
 * before it got the script, still gets the end recorded: the driver's record says it started.
 */
export function adopt(spec: RunSpec, sandbox: HeldSandbox | undefined): Promise<void> {
  return new Promise<void>((complete) => {
    if (!sandbox) {
      const exit: ExitRecord = {
        run: spec.run,
        exitCode: 255,
        signal: null,
        oomKilled: false,
        finishedAt: new Date().toISOString(),
        lost: true,
      };
      try {
        writeJsonAtomicSync(spec.exitFile, exit);
      } catch (error) {
        report(error);
      }
      send({ type: 'exited', id: spec.id, exit });
      complete();
      return;
    }
    const { child } = sandbox;
    const oomBaseline = oomCount(spec);
    const alive = child.exitCode === null && child.signalCode === null;
    // The program first: the files below are opened while it starts on another core. Its
    // output waits in the pipe until the listeners below, attached before this returns.
    if (alive) child.stdin?.end(spec.warmScript);
    let fds: number[] = [];
    try {
      fds = openLogs(spec);
    } catch (error) {
      // Without its logs it must not run; its end is still recorded below.
      report(error);
      if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
    }
    const writers = writeLogs(child, fds);
    let exitFile: PreparedRecord | undefined;
    try {
      exitFile = prepareJsonAtomicSync(spec.exitFile);
    } catch {
      // Written the usual way at the end instead.
    }
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      finish(spec, child, writers, fds, oomBaseline, code, signal, true, exitFile)
        .catch(report)
        .finally(complete);
    };
    if (alive) child.once('exit', end);
    else end(child.exitCode, child.signalCode);
  });
}
