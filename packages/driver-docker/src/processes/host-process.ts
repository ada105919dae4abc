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
  /**
   * It leads its own session and process group, as runc starts an exec: the group is then
   * made inside the container, and nothing outside it can join it.
   */
  leadsGroup: boolean;
}

const FULL_ID = /^[0-9a-f]{64}$/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields 3 on of /proc/<pid>/stat (the state first). */
function statFields(stat: string | undefined): string[] | undefined {
  // The command name in parentheses may hold spaces and parentheses: fields follow the last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
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
  const stat = statFields(read(`/proc/${hostPid}/stat`));
  const cgroup = read(`/proc/${hostPid}/cgroup`);
  const status = read(`/proc/${hostPid}/status`);
  // Read again last: every file above was the same process's only if it did not change.
  const before = stat?.[19];
  const after = statFields(read(`/proc/${hostPid}/stat`))?.[19];
  if (!before || before !== after || !cgroup || !inContainerCgroup(cgroup, containerId)) {
    return null;
  }
  const nsPids = /^NSpid:\s*(.*)$/m
    .exec(status ?? '')?.[1]
    ?.trim()
    .split(/\s+/);
  const nsPid = Number(nsPids?.at(-1));
  return {
    hostPid,
    startTime: before,
    nsPid: Number.isSafeInteger(nsPid) ? nsPid : undefined,
    leadsGroup: Number(stat?.[2]) === hostPid && Number(stat?.[3]) === hostPid,
  };
}

export type HostSignalResult = 'sent' | 'gone' | 'refused';

/**
 * Signals the process if it is still the one seen before: 'gone' when it has ended (or its pid
 * now names another process), 'refused' when this host does not let the driver signal it.
 *
 * A process leading its group is signalled with its group, as a terminal's Ctrl-C is: a shell's
 * children go with it, so a kill or a timeout ends what the command started and its output
 * closes. A group's id is not reused while any member lives.
 */
export function signalHostProcess(
  seen: HostProcess,
  containerId: string,
  signal: NodeJS.Signals,
): HostSignalResult {
  const now = readHostProcess(seen.hostPid, containerId);
  if (!now || now.startTime !== seen.startTime) return 'gone';
  try {
    process.kill(now.leadsGroup ? -now.hostPid : now.hostPid, signal);
    return 'sent';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'refused';
    throw error;
  }
}
