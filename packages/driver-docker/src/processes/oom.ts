import { readFileSync } from 'node:fs';

/*
 * The engine tells an OOM kill only of a container's main process (State.OOMKilled); an exec
 * killed for want of memory just exits 137. The kernel counts every OOM kill in the container's
 * memory cgroup, so a count that grew while the process ran, with an exit of 137 the driver did
 * not cause, is an OOM kill. (Another process of the same container OOM-killed meanwhile while
 * this one was killed by someone else would read as one too.)
 */

export interface OomBaseline {
  counter: string;
  before: number;
}

/** The container's OOM-kill count now, from its init's memory cgroup (a pid checked to be it). */
export function oomBaseline(initPid: number): OomBaseline | undefined {
  const counter = counterOf(initPid);
  const before = readOomKills(counter);
  return counter && before !== undefined ? { counter, before } : undefined;
}

/** The file holding the OOM-kill count of a process's memory cgroup, as /proc shows it. */
function counterOf(hostPid: number): string | undefined {
  let cgroup: string;
  try {
    cgroup = readFileSync(`/proc/${hostPid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of cgroup.split('\n')) {
    const [hierarchy, controllers, ...rest] = line.split(':');
    const path = rest.join(':');
    if (!path.startsWith('/') || path.includes('..')) continue;
    // cgroup v1: the memory controller's own hierarchy; v2: the unified one (hierarchy 0).
    if (controllers?.split(',').includes('memory')) {
      return `/sys/fs/cgroup/memory${path}/memory.oom_control`;
    }
    if (hierarchy === '0' && controllers === '') return `/sys/fs/cgroup${path}/memory.events`;
  }
  return undefined;
}

export function readOomKills(counter: string | undefined): number | undefined {
  if (!counter) return undefined;
  try {
    const match = /^oom_kill (\d+)$/m.exec(readFileSync(counter, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
