import { rmSync } from 'node:fs';
import { ContainerRemoveError } from '@berth/core';
import type { ParsedRemoveOptions } from '@berth/core/kit';
import type { EngineContext } from '../engine/engine-context.js';
import {
  containerCgroupOf,
  killCgroup,
  removeContainerCgroup,
  runCgroupName,
} from '../isolation/cgroups.js';
import { isLive } from './container-snapshot.js';

/**
 * Removes a container (stopping it first when forced): its cgroup, its directory, and the
 * identity and name it held. The caller holds the container's lock.
 */
export async function removeContainer(
  ctx: EngineContext,
  key: string,
  options: ParsedRemoveOptions,
): Promise<void> {
  const snapshot = await ctx.catalog.require(key);
  const cid = snapshot.record.id;
  if (isLive(snapshot.status)) {
    if (!options.force) {
      throw new ContainerRemoveError(
        cid,
        `it is ${snapshot.status}; stop it first or remove with { force: true }`,
      );
    }
    await ctx.stopper.halt(cid, { force: true });
  }
  ctx.health.stop(cid);
  ctx.sampler.forget(cid);
  const warm = ctx.claimed.get(cid);
  ctx.claimed.delete(cid);
  if (warm) await ctx.warm.release(warm);
  // Never started: a warm sandbox it held may have left its first run's (empty) group,
  // if its driver and supervisor were both killed.
  const { host } = await ctx.init();
  const group = snapshot.run
    ? snapshot.run.meta.cgroup
    : containerCgroupOf(host.cgroups, runCgroupName(cid, 1));
  if (group) {
    const removal = killCgroup(group)
      .then(() => removeContainerCgroup(group))
      .catch(() => undefined);
    // A run that ended by itself has its supervisor removing the group already: this
    // covers a supervisor that died first, and nobody needs to wait for it.
    if (snapshot.status !== 'exited') await removal;
  }
  discard(ctx, cid);
  const { record } = snapshot;
  if (record.ownIdentity) ctx.identities.release(record.user.uid, cid);
  if (record.config.name !== undefined) ctx.identities.releaseName(record.config.name, cid);
}

/**
 * Makes a container's directory vanish at once (a rename, so it is listed or found no more)
 * and deletes it off the hot path. What a dying process leaves in the trash, the next driver
 * on this stateDir deletes when it starts.
 */
function discard(ctx: EngineContext, cid: string): void {
  const dir = ctx.layout.containerDir(cid);
  try {
    ctx.trash.take(dir, cid);
  } catch {
    // Already gone, or no trash directory to move it to: delete it in place.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      throw new ContainerRemoveError(cid, (error as Error).message, { cause: error });
    }
  }
}
