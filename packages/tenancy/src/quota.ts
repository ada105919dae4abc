import {
  type ContainerConfig,
  type ContainerInstance,
  type ContainerStatus,
  ResourceLimitError,
} from '@berth/core';

/** What one tenant may hold at once. Unset: no limit of that kind. */
export interface TenantQuota {
  /** Cores, summed over live containers. */
  cpu?: number;
  /** MB, summed over live containers. */
  memoryMb?: number;
  /** MB of `resources.disk`, summed over every existing container (disk stays until removal). */
  diskMb?: number;
  /** Process limit, summed over live containers. */
  pids?: number;
  /** Containers that exist, running or not (each holds a name, disk and engine state). */
  containers?: number;
  /** Distinct sessionIds among live containers. */
  sessions?: number;
}

export interface TenantUsage {
  cpu: number;
  memoryMb: number;
  diskMb: number;
  pids: number;
  containers: number;
  sessions: number;
}

// A container in one of these uses no cpu, memory or processes: its share is released on death.
const DEAD: ReadonlySet<ContainerStatus> = new Set(['exited', 'dead', 'stopped']);

export function isLive(container: ContainerInstance): boolean {
  return !DEAD.has(container.status);
}

/** Usage of `containers` (one tenant's), counted from their live state. */
export function usageOf(containers: readonly ContainerInstance[]): TenantUsage {
  const live = containers.filter(isLive);
  const sum = (pick: (c: ContainerInstance) => number | undefined, of = live) =>
    of.reduce((total, c) => total + (pick(c) ?? 0), 0);
  return {
    cpu: sum((c) => c.resources.cpu),
    memoryMb: sum((c) => c.resources.memory),
    diskMb: sum((c) => c.resources.disk, [...containers]),
    pids: sum((c) => c.resources.pids),
    containers: containers.length,
    sessions: new Set(live.map((c) => c.sessionId)).size,
  };
}

type Demand = Pick<ContainerConfig, 'sessionId' | 'resources'>;

/**
 * Throws a ResourceLimitError (resource `tenant.<quota>`) when adding `demand` to `usage` goes
 * past `quota`. `creating`: the demand is a new container (counts towards containers and disk);
 * otherwise an existing one coming back to life (start, restart).
 */
export function checkQuota(
  quota: TenantQuota,
  usage: TenantUsage,
  demand: Demand,
  sessionLive: boolean,
  creating: boolean,
): void {
  const wanted: [keyof TenantQuota, number][] = [
    ['cpu', usage.cpu + demand.resources.cpu],
    ['memoryMb', usage.memoryMb + demand.resources.memory],
    ['pids', usage.pids + demand.resources.pids],
    ['sessions', usage.sessions + (sessionLive ? 0 : 1)],
  ];
  if (creating) {
    wanted.push(['containers', usage.containers + 1]);
    wanted.push(['diskMb', usage.diskMb + (demand.resources.disk ?? 0)]);
  }
  for (const [key, requested] of wanted) {
    const limit = quota[key];
    // Floating sums (0.1 + 0.2) must not refuse what exactly fits.
    if (limit !== undefined && requested > limit + 1e-9) {
      throw new ResourceLimitError(`tenant.${key}`, limit, requested);
    }
  }
}
