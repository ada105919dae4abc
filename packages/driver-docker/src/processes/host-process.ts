import { readFileSync } from 'node:fs';

/*
 * The engine reports an exec's pid as its host sees it, and offers no way to signal one. Where
 * the engine runs on this host, that pid can be signalled from here, once /proc shows it is
 * still the same process and inside the container: in the container's cgroup, and started when
 * it was first seen. Anything else (another host, another pid namespace, a reused pid) is
 * never signalled.
 */

/** A process of a container as this host's /proc shows it. */
export interface HostProcess {
  hostPid: number;
  /** Clock ticks after boot when it started (stat field 22): a reused pid has another. */
  startTime: string;
  /** Its pid in the container's namespace (the last NSpid entry). */
  nsPid: number | undefined;
}

const FULL_ID = /^[0-9a-f]{64}$/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function startTimeOf(stat: string | undefined): string | undefined {
  // The command name in parentheses may hold spaces and parentheses: fields follow the last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[19];
}

/** Whether a /proc/<pid>/cgroup names the container (cgroupfs: `/docker/<id>`, systemd: `docker-<id>.scope`). */
export function inContainerCgroup(cgroup: string, containerId: string): boolean {
  if (!FULL_ID.test(containerId)) return false;
  const segment = new RegExp(`(?:^|[/-])${containerId}(?:\\.scope)?(?:/|$)`);
  return cgroup.split('\n').some((line) => {
    const path = line.split(':').slice(2).join(':');
    return segment.test(path);
  });
}

/**
 * The process with this host pid, if /proc shows one in the container's cgroup; null when it
 * is gone, belongs elsewhere, or this host's /proc is not the engine's.
 */
export function readHostProcess(hostPid: number, containerId: string): HostProcess | null {
  if (!Number.isSafeInteger(hostPid) || hostPid <= 1) return null;
  const before = startTimeOf(read(`/proc/${hostPid}/stat`));
  const cgroup = read(`/proc/${hostPid}/cgroup`);
  const status = read(`/proc/${hostPid}/status`);
  // Read again last: every file above was the same process's only if it did not change.
  const after = startTimeOf(read(`/proc/${hostPid}/stat`));
  if (!before || before !== after || !cgroup || !inContainerCgroup(cgroup, containerId)) {
    return null;
  }
  const nsPids = /^NSpid:\s*(.*)$/m
    .exec(status ?? '')?.[1]
    ?.trim()
    .split(/\s+/);
  const nsPid = Number(nsPids?.at(-1));
  return { hostPid, startTime: before, nsPid: Number.isSafeInteger(nsPid) ? nsPid : undefined };
}

export type HostSignalResult = 'sent' | 'gone' | 'refused';

/**
 * Signals the process if it is still the one seen before: 'gone' when it has ended (or its pid
 * now names another process), 'refused' when this host does not let the driver signal it.
 */
export function signalHostProcess(
  seen: HostProcess,
  containerId: string,
  signal: NodeJS.Signals,
): HostSignalResult {
  const now = readHostProcess(seen.hostPid, containerId);
  if (!now || now.startTime !== seen.startTime) return 'gone';
  try {
    process.kill(seen.hostPid, signal);
    return 'sent';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'refused';
    throw error;
  }
}
