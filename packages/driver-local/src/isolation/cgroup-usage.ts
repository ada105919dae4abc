import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerCgroup } from './cgroups.js';

/*
 * What a container's cgroup has counted of its use, for stats: read from the same files
 * whatever state the group is in (a frozen group's memory and pids are all still there).
 */

export async function readKeyedValue(file: string, key: string): Promise<number | undefined> {
  try {
    const text = await readFile(file, 'utf8');
    for (const line of text.split('\n')) {
      const [name, value] = line.trim().split(/\s+/);
      if (name === key) return Number(value);
    }
  } catch {
    // A removed group has no counters: nothing to report.
  }
  return undefined;
}

export interface CgroupUsage {
  cpuUsageNs?: number;
  memoryBytes?: number;
  pids?: number;
}

export async function readCgroupUsage(group: ContainerCgroup): Promise<CgroupUsage> {
  const usage: CgroupUsage = {};
  const read = async (dir: string | undefined, file: string) => {
    if (!dir) return undefined;
    try {
      return (await readFile(join(dir, file), 'utf8')).trim();
    } catch {
      return undefined;
    }
  };
  if (group.version === 2) {
    const usec = await readKeyedValue(join(group.dirs.cpu ?? '', 'cpu.stat'), 'usage_usec');
    if (usec !== undefined) usage.cpuUsageNs = usec * 1000;
    const current = await read(group.dirs.memory, 'memory.current');
    if (current !== undefined) {
      const inactive = await readKeyedValue(
        join(group.dirs.memory ?? '', 'memory.stat'),
        'inactive_file',
      );
      usage.memoryBytes = Math.max(0, Number(current) - (inactive ?? 0));
    }
  } else {
    const ns = await read(group.dirs.cpuacct, 'cpuacct.usage');
    if (ns !== undefined) usage.cpuUsageNs = Number(ns);
    const current = await read(group.dirs.memory, 'memory.usage_in_bytes');
    if (current !== undefined) {
      // Page cache the kernel can drop at once is not the container's footprint.
      const inactive = await readKeyedValue(
        join(group.dirs.memory ?? '', 'memory.stat'),
        'total_inactive_file',
      );
      usage.memoryBytes = Math.max(0, Number(current) - (inactive ?? 0));
    }
  }
  const pids = await read(group.dirs.pids, 'pids.current');
  if (pids !== undefined) usage.pids = Number(pids);
  return usage;
}
