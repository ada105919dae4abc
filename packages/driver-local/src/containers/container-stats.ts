import { totalmem } from 'node:os';
import type { ContainerStats } from '@berth/core';
import { processGroupMembers, readProcStat } from '../host/process-identity.js';
import { readCgroupUsage } from '../isolation/cgroup-usage.js';
import type { ContainerCgroup } from '../isolation/cgroups.js';

// USER_HZ is 100 on every Linux architecture Node runs on.
const TICK_NS = 10_000_000;
const PAGE_SIZE = 4096;
const SAMPLE_MS = 100;

interface Sample {
  cpuNs: number;
  memoryBytes: number;
  pids: number;
  at: number;
}

async function sampleProcessGroup(pgid: number): Promise<Sample> {
  const members = await processGroupMembers(pgid);
  const stats = await Promise.all(members.map((pid) => readProcStat(pid)));
  let cpuNs = 0;
  let memoryBytes = 0;
  for (const stat of stats) {
    if (!stat) continue;
    cpuNs += stat.cpuTicks * TICK_NS;
    memoryBytes += stat.rssPages * PAGE_SIZE;
  }
  return { cpuNs, memoryBytes, pids: members.length, at: performance.now() };
}

async function sample(group: ContainerCgroup | undefined, pgid: number): Promise<Sample> {
  if (!group) return sampleProcessGroup(pgid);
  const usage = await readCgroupUsage(group);
  const fallback =
    usage.cpuUsageNs === undefined || usage.memoryBytes === undefined || usage.pids === undefined
      ? await sampleProcessGroup(pgid)
      : undefined;
  return {
    cpuNs: usage.cpuUsageNs ?? fallback?.cpuNs ?? 0,
    memoryBytes: usage.memoryBytes ?? fallback?.memoryBytes ?? 0,
    pids: usage.pids ?? fallback?.pids ?? 0,
    at: performance.now(),
  };
}

/**
 * Resource use of running containers, from their cgroup where there is one, else from /proc
 * for their process group. CPU percent needs two samples: the previous call's when recent,
 * else one taken now and another a moment later.
 */
export class StatsSampler {
  private readonly previous = new Map<string, Sample>();

  async stats(
    id: string,
    group: ContainerCgroup | undefined,
    pgid: number,
    memoryLimitMb: number | undefined,
  ): Promise<ContainerStats> {
    let before = this.previous.get(id);
    if (!before || performance.now() - before.at > 10_000) {
      before = await sample(group, pgid);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
    const now = await sample(group, pgid);
    this.previous.set(id, now);
    const elapsedNs = Math.max(1, (now.at - before.at) * 1_000_000);
    return {
      cpuPercent: Math.max(0, ((now.cpuNs - before.cpuNs) / elapsedNs) * 100),
      memoryBytes: now.memoryBytes,
      memoryLimitBytes:
        memoryLimitMb === undefined ? totalmem() : Math.floor(memoryLimitMb * 1024 * 1024),
      pids: now.pids,
    };
  }

  forget(id: string): void {
    this.previous.delete(id);
  }
}
