import {
  ContainerNotFoundError,
  getErrorMessage,
  NetworkNotFoundError,
  VolumeNotFoundError,
} from '../errors/index.js';
import type { LogOptions } from '../schemas.js';
import type { CleanupFilter, CleanupResult, DriverHealth } from '../types.js';
import { cleanupMatches } from './call-options.js';
import type { DriverPrimitives, PrimitiveContext } from './primitives.js';

/* Operations the kit derives from the primitives when a driver does not provide its own. */

/** The log as text: each line with its newline, and its timestamp first when asked. */
export async function derivedLogs(
  primitives: DriverPrimitives,
  id: string,
  options: LogOptions,
  ctx: PrimitiveContext,
): Promise<string> {
  const parts: string[] = [];
  for await (const line of primitives.streamLogs(id, { ...options, follow: false }, ctx)) {
    parts.push(
      options.timestamps ? `${line.timestamp.toISOString()} ${line.line}\n` : `${line.line}\n`,
    );
  }
  return parts.join('');
}

/** Healthy with a health check passing; running, without one. */
export async function derivedIsHealthy(
  primitives: DriverPrimitives,
  id: string,
  ctx: PrimitiveContext,
): Promise<boolean> {
  const instance = await primitives.getContainer(id, ctx);
  if (!instance) throw new ContainerNotFoundError(id);
  if (instance.health !== undefined && instance.health !== 'none') {
    return instance.health === 'healthy';
  }
  return instance.status === 'running';
}

/** Counts from the list; a backend that cannot list is unhealthy, with the reason. */
export async function derivedHealthCheck(
  primitives: DriverPrimitives,
  startedAt: number,
  ctx: PrimitiveContext,
): Promise<DriverHealth> {
  const base = {
    version: primitives.version,
    uptime: Math.floor((Date.now() - startedAt) / 1000),
  };
  try {
    const all = await primitives.listContainers({}, ctx);
    const running = all.filter((c) => c.status === 'running').length;
    return {
      ...base,
      status: 'healthy',
      containers: { total: all.length, running, stopped: all.length - running },
    };
  } catch (error) {
    ctx.signal?.throwIfAborted();
    return {
      ...base,
      status: 'unhealthy',
      containers: { total: 0, running: 0, stopped: 0 },
      error: getErrorMessage(error),
    };
  }
}

function gone(error: unknown): boolean {
  return (
    error instanceof ContainerNotFoundError ||
    error instanceof VolumeNotFoundError ||
    error instanceof NetworkNotFoundError
  );
}

/** Containers first (forced), then networks and volumes, which are refused while in use. */
export async function derivedCleanup(
  primitives: DriverPrimitives,
  filter: CleanupFilter,
  ctx: PrimitiveContext,
): Promise<CleanupResult> {
  const result: CleanupResult = { containers: 0, volumes: 0, networks: 0 };
  const containers = (await primitives.listContainers({}, ctx)).filter((c) =>
    cleanupMatches(filter, c),
  );
  await Promise.all(
    containers.map(async (c) => {
      try {
        await primitives.removeContainer(c.id, { force: true, volumes: true }, ctx);
        result.containers++;
      } catch (error) {
        if (!gone(error)) throw error;
      }
    }),
  );
  for (const network of await primitives.listNetworks(ctx)) {
    if (!cleanupMatches(filter, network)) continue;
    try {
      await primitives.removeNetwork(network.id, ctx);
      result.networks++;
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  for (const volume of await primitives.listVolumes(ctx)) {
    if (!cleanupMatches(filter, volume)) continue;
    try {
      await primitives.removeVolume(volume.name, ctx);
      result.volumes++;
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  return result;
}
