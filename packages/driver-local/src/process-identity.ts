import { readdir, readFile } from 'node:fs/promises';

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
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
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

/**
 * True when `pid` is still the very process recorded earlier (same start time) and has not
 * finished. A pid alone is not enough: after a reboot or a long run it may name a stranger,
 * and signalling a stranger is the one mistake a supervisor must never make.
 */
export async function isSameLiveProcess(pid: number, startTime: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z';
}

/** Live (non-zombie) members of a process group, found by scanning /proc. */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 0) return;
      const stat = await readProcStat(pid);
      if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(pid);
    }),
  );
  return members;
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

/** Direct children of a process, found by scanning /proc. */
export async function childrenOf(pid: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      const candidate = Number(entry);
      if (!Number.isInteger(candidate) || candidate <= 0) return;
      const stat = await readProcStat(candidate);
      if (stat && stat.ppid === pid && stat.state !== 'Z') children.push(candidate);
    }),
  );
  return children;
}
