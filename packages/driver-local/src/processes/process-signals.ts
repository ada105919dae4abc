import { readFileSync } from 'node:fs';
import type { ContainerSignal } from '@berth/core';
import { namespacePid, programUnderMonitor } from '../containers/sandbox-processes.js';
import {
  childrenOf,
  isSameLiveProcess,
  readProcStatSync,
  signalProcess,
} from '../host/process-identity.js';
import { isChainStep, type SandboxTools } from '../isolation/sandbox-command.js';
import type { ProcessIdentity, SpawnRecord } from './process-records.js';

/*
 * Finding a spawned program under the chain that put it in the container, and signalling it.
 * Never the chain's own processes once the program exists: nsenter's parent, for one, would die
 * of a SIGTERM at once, leaving the program running and its exit status unknown.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a signal waits for the program to be there (the chain takes milliseconds). */
const LOCATE_MS = 2000;

export type ProgramRef = ProcessIdentity & { nsPid: number };

function identity(pid: number): ProgramRef | undefined {
  const stat = readProcStatSync(pid);
  if (!stat || stat.state === 'Z') return undefined;
  return { pid, startTime: stat.startTime, nsPid: namespacePid(pid) };
}

/** The program under a live chain now, if it is there yet (see ChainShape). */
export async function programOf(
  record: Pick<SpawnRecord, 'shape' | 'chain'>,
  tools: SandboxTools,
  waitMs = 0,
): Promise<ProgramRef | undefined> {
  const { chain } = record;
  if (!chain) return undefined;
  if (record.shape === 'direct') {
    return (await isSameLiveProcess(chain.pid, chain.startTime)) ? identity(chain.pid) : undefined;
  }
  if (record.shape === 'sandbox') {
    const found = await programUnderMonitor(chain, tools.bwrap, waitMs);
    return found ? identity(found.pid) : undefined;
  }
  // nsenter forks once, into the container's pid namespace: its only child is the program.
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (!(await isSameLiveProcess(chain.pid, chain.startTime))) return undefined;
    const [child] = await childrenOf(chain.pid);
    const found = child === undefined ? undefined : identity(child);
    if (found) return found;
    if (Date.now() >= deadline) return undefined;
    await sleep(2);
  }
}

/**
 * Whether the chain has exec'd the program itself: its arguments are the command's, or at least
 * no longer those of a step of the chain (a script runs as its interpreter, a program may
 * rewrite its own arguments).
 */
function reachedProgram(pid: number, command: string[], tools: SandboxTools): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  argv.pop();
  if (argv.length === command.length && argv.every((arg, i) => arg === command[i])) return true;
  return !isChainStep(argv, tools);
}

/**
 * What a signal for the process must go to: the program, once the chain has exec'd it. SIGKILL
 * need not wait for that (any step it hits is the program's own process, or becomes it) but
 * must wait for nsenter's fork, or the child would run on without its parent. Undefined once
 * it has ended. A chain that does not get that far in time (frozen by a pause, say) is
 * signalled itself: there is no program yet to hit, and none will start from a killed chain.
 */
async function target(
  record: SpawnRecord,
  signal: ContainerSignal,
  tools: SandboxTools,
): Promise<ProcessIdentity | undefined> {
  const { chain } = record;
  if (!chain) return undefined;
  const deadline = Date.now() + LOCATE_MS;
  for (;;) {
    if (!(await isSameLiveProcess(chain.pid, chain.startTime))) return undefined;
    const known = record.program;
    const program =
      known && (await isSameLiveProcess(known.pid, known.startTime))
        ? known
        : await programOf(record, tools);
    if (program && (signal === 'SIGKILL' || reachedProgram(program.pid, record.command, tools))) {
      return program;
    }
    if (Date.now() >= deadline) return program ?? chain;
    await sleep(5);
  }
}

/** Sends `signal` to the spawned program, after checking it is still that very process. */
export async function signalSpawned(
  record: SpawnRecord,
  signal: ContainerSignal,
  tools: SandboxTools,
): Promise<void> {
  const found = await target(record, signal, tools);
  // Checked again at the last moment: once reaped, its pid could name a stranger.
  if (!found || readProcStatSync(found.pid)?.startTime !== found.startTime) return;
  signalProcess(found.pid, signal);
}
