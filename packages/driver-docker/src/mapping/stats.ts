import type { ContainerStats } from '@berth/core';

/** The parts of the engine's one-shot stats reply that are read. */
export interface EngineStats {
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: {
    cpu_usage?: { total_usage?: number };
    system_cpu_usage?: number;
  };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
}

/**
 * CPU as percent of one core, computed the way the docker CLI does from the two samples the
 * engine returns; memory without the page cache (which the kernel reclaims before an OOM kill,
 * so counting it would overstate pressure). cgroup v1 calls it `cache`, v2 `inactive_file`.
 */
export function toContainerStats(stats: EngineStats, writableLayerBytes?: number): ContainerStats {
  const cpu = stats.cpu_stats;
  const pre = stats.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const cpus = cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;

  const memory = stats.memory_stats;
  const detail = memory?.stats ?? {};
  const cache = detail.total_inactive_file ?? detail.inactive_file ?? detail.cache ?? 0;
  const usage = memory?.usage ?? 0;
  return {
    cpuPercent,
    memoryBytes: Math.max(0, usage - (cache < usage ? cache : 0)),
    memoryLimitBytes: memory?.limit ?? 0,
    pids: stats.pids_stats?.current ?? 0,
    ...(typeof writableLayerBytes === 'number' && writableLayerBytes >= 0
      ? { diskBytes: writableLayerBytes }
      : {}),
  };
}
