import {
  NetworkNotFoundError,
  NetworkRemoveError,
  requireObjectId,
  VolumeNotFoundError,
  VolumeRemoveError,
} from '@berth/core';
import { type ContainerSnapshot, isLive } from '../containers/container-snapshot.js';
import type { EngineContext } from '../engine/engine-context.js';

/** Running (or paused) containers matching `uses`: what a volume or network cannot be removed under. */
async function runningUsers(
  ctx: EngineContext,
  uses: (snapshot: ContainerSnapshot) => boolean,
): Promise<ContainerSnapshot[]> {
  return (await ctx.catalog.all()).filter((s) => isLive(s.status) && uses(s));
}

const named = (users: ContainerSnapshot[]) => users.map((s) => s.record.name).join(', ');

/** Removes a volume, unless a running container mounts it. */
export async function removeVolume(ctx: EngineContext, id: string): Promise<void> {
  requireObjectId(id, 'volume');
  await ctx.init();
  const volume = await ctx.volumes.get(id);
  if (!volume) throw new VolumeNotFoundError(id);
  const users = await runningUsers(ctx, (s) =>
    s.record.config.volumes.some((v) => v.type === 'volume' && v.source === volume.name),
  );
  if (users.length > 0) {
    throw new VolumeRemoveError(id, `it is in use by running container(s) ${named(users)}`);
  }
  await ctx.volumes.remove(id);
}

/** Removes a network, unless a running container is on it. */
export async function removeNetwork(ctx: EngineContext, id: string): Promise<void> {
  requireObjectId(id, 'network');
  await ctx.init();
  const network = await ctx.networks.find(id);
  if (!network) throw new NetworkNotFoundError(id);
  const users = await runningUsers(
    ctx,
    (s) => s.record.config.network === network.name || s.record.config.network === network.id,
  );
  if (users.length > 0) {
    throw new NetworkRemoveError(id, `it is in use by running container(s) ${named(users)}`);
  }
  await ctx.networks.remove(network.id);
}
