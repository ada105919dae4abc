import { readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { childrenOf, isSameLiveProcess, readProcStatSync } from '../host/process-identity.js';
import type { RunRecord } from '../state/run-records.js';

/*
 * The processes of a sandboxed run, as bubblewrap arranges them: the run's recorded process is
 * bubblewrap's monitor, outside the container's pid namespace; its child is bubblewrap's init,
 * pid 1 inside; the init's first child is the program the config runs (through setpriv and env,
 * which exec it). Orphans of the program are the init's children too, started later.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exeOf = (pid: number) => readlink(`/proc/${pid}/exe`).catch(() => undefined);

/** The pid a process has in its own (innermost) pid namespace. */
export function namespacePid(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m)?.[1];
    const inner = Number(line?.trim().split(/\s+/).at(-1));
    return Number.isInteger(inner) && inner > 0 ? inner : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * The process whose namespaces an exec joins: bubblewrap's init, pid 1 of the container's pid
 * namespace, once the program runs under it (before, the namespaces are still being built and
 * joining them would see a half-made root). Never the program itself: it can make namespaces of
 * its own (a user namespace, then a mount namespace with an /etc/ld.so.preload of its choosing),
 * and the exec's root steps would then run inside them. The init runs as root, as bubblewrap
 * left it, and nothing in the container can change its namespaces.
 */
export async function sandboxInit(
  monitor: number,
  startTime: number,
  bwrap: string | undefined,
): Promise<number | undefined> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (await isSameLiveProcess(monitor, startTime))) {
    for (const init of await childrenOf(monitor)) {
      if ((await exeOf(init)) !== bwrap) continue;
      for (const program of await childrenOf(init)) {
        const exe = await exeOf(program);
        if (exe !== undefined && exe !== bwrap) return init;
      }
    }
    await sleep(10);
  }
  return undefined;
}

/** A live process, named by its pid and start time, so that a reused pid is never taken for it. */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

/**
 * The run's main process: the program its config runs. Without a sandbox that is the recorded
 * process itself (every step of the chain execs the next). In one, the monitor and the init are
 * bubblewrap's and must not be mistaken for it: the monitor dies of SIGTERM at once, taking the
 * program's exit status with it, and the init, pid 1 inside, takes only what it has handlers for.
 * Undefined once the run has ended (or its program has not appeared within a few seconds).
 */
export async function mainProcess(
  run: RunRecord,
  signal?: AbortSignal,
): Promise<ProcessRef | undefined> {
  if (!(await isSameLiveProcess(run.pid, run.pidStartTime))) return undefined;
  if (!run.sandboxed) return { pid: run.pid, startTime: run.pidStartTime };
  const monitor = { pid: run.pid, startTime: run.pidStartTime };
  return programUnderMonitor(monitor, await exeOf(run.pid), 5000, signal);
}

/**
 * The program a bubblewrap monitor runs: of its init's children, the earliest started (any
 * other is an orphan the program left). Waits up to `waitMs` for it to appear; undefined once
 * the monitor has ended, or if it does not appear in time.
 */
export async function programUnderMonitor(
  monitor: ProcessRef,
  bwrap: string | undefined,
  waitMs: number,
  signal?: AbortSignal,
): Promise<ProcessRef | undefined> {
  const deadline = Date.now() + waitMs;
  while (await isSameLiveProcess(monitor.pid, monitor.startTime)) {
    signal?.throwIfAborted();
    for (const init of await childrenOf(monitor.pid)) {
      if (bwrap === undefined || (await exeOf(init)) !== bwrap) continue;
      let first: (ProcessRef & { nsPid: number }) | undefined;
      for (const child of await childrenOf(init)) {
        const stat = readProcStatSync(child);
        if (!stat || stat.state === 'Z' || (await exeOf(child)) === bwrap) continue;
        // Start times count in clock ticks: an orphan made in the program's first tick ties
        // with it, and then the pid the namespace gave each says which came first.
        const candidate = { pid: child, startTime: stat.startTime, nsPid: namespacePid(child) };
        if (
          !first ||
          candidate.startTime < first.startTime ||
          (candidate.startTime === first.startTime && candidate.nsPid < first.nsPid)
        ) {
          first = candidate;
        }
      }
      if (first) return { pid: first.pid, startTime: first.startTime };
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(10);
  }
  return undefined;
}
