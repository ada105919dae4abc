import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The fields of /proc/<pid>/stat this driver needs. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot: with the pid, identifies one process across pid reuse. */
  startTime: number;
  /** CPU time in clock ticks, user plus system. */
  cpuTicks: number;
  rssPages: number;
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readProcStatSync(pid: number): ProcStat | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is still the very process recorded earlier (same start time) and has not
 * finished. A pid alone is not enough: after a reboot or a long run it may name a stranger,
 * and signalling a stranger is the one mistake a supervisor must never make.
 */
export async function isSameLiveProcess(pid: number, startTime: number): Promise<boolean> {
  const stat = readProcStatSync(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z';
}

function parseStat(pid: number, text: string): ProcStat {
  // The command name may hold spaces and parentheses; the fields after its last ')' cannot.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    startTime: Number(fields[19]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    rssPages: Number(fields[21]),
  };
}

/*
 * Scanning /proc reads one small file per process. Synchronous reads do it in about a
 * millisecond for a hundred processes; going through the thread pool takes ten times that.
 */
function scanProc(keep: (stat: ProcStat) => boolean): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const stat = parseStat(pid, text);
    if (stat.state !== 'Z' && keep(stat)) found.push(pid);
  }
  return found;
}

/** Whether any process is left in a group; one system call, no scan. */
export function processGroupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live (non-zombie) members of a process group. */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  if (!processGroupExists(pgid)) return [];
  return scanProc((stat) => stat.pgrp === pgid);
}

/** Direct children of a process. */
export async function childrenOf(pid: number): Promise<number[]> {
  try {
    // Kept by the kernel (CONFIG_PROC_CHILDREN): no scan needed.
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return scanProc((stat) => stat.ppid === pid);
  }
}

/** Sends a signal, treating "no such process" as done: it is already what we wanted. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The pid namespace a process is in (`pid:[inode]`), undefined once it is gone. */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * True when `signal`'s default action applies to `pid`: it neither catches nor ignores it
 * (`SigCgt` / `SigIgn` of /proc/<pid>/status). Undefined once the process is gone.
 */
export function takesDefaultAction(pid: number, signal: number): boolean | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mask = (key: string) =>
      BigInt(`0x${new RegExp(`^${key}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'}`);
    const bit = 1n << BigInt(signal - 1);
    return ((mask('SigCgt') | mask('SigIgn')) & bit) === 0n;
  } catch {
    return undefined;
  }
}
