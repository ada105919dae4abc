import { ConfigurationError, type ContainerConfig, type ContainerInstance } from '@berth/core';
import type { CreateContext, PrimitiveCapabilities } from '@berth/core/kit';
import { removeMadeBy } from '../cleanup/create-rollback.js';
import type { EngineSession } from '../engine/session.js';
import { toCreateOptions } from '../mapping/create-options.js';
import { toInstance } from '../mapping/instance.js';
import { berthLabels, LABEL, ownedBy } from '../mapping/labels.js';
import { volumeLabels } from '../volumes-networks/volumes.js';

/** `caps`: the engine's, for what the create body may ask of it (a disk size). */
export async function createContainer(
  session: EngineSession,
  config: ContainerConfig,
  ctx: CreateContext,
  caps: PrimitiveCapabilities,
): Promise<ContainerInstance> {
  const { signal, token } = ctx;
  const ownership = { sessionId: config.sessionId, tenantId: config.tenantId };
  const labels = { ...ctx.labels };
  const body = toCreateOptions(config, {
    labels,
    applyDisk: caps.disk,
    logDriver: session.logDriver,
    logOptions: session.logOptions,
    init: session.init,
  });

  // A container mounts only its own session's volumes; one that does not exist yet is made
  // here, labelled (the engine would make it unlabelled, and cleanup would never find it),
  // once every check has passed, and removed again if the container is not made after all.
  const missing: string[] = [];
  for (const mount of config.volumes) {
    if (mount.type !== 'volume' || missing.includes(mount.source)) continue;
    const existing = await volumeLabels(session, mount.source, signal);
    if (existing === undefined) missing.push(mount.source);
    else if (
      !ownedBy(existing, session.owner) ||
      existing[LABEL.session] !== config.sessionId ||
      existing[LABEL.tenant] !== config.tenantId
    ) {
      throw new ConfigurationError(
        `Volume '${mount.source}' belongs to another session (or was not made by Berth): a container mounts only its own session's volumes. Create the volume with sessionId '${config.sessionId}', or use another name.`,
        [
          {
            path: ['volumes'],
            message: `volume '${mount.source}' belongs to another session`,
            stage: 'security',
          },
        ],
      );
    }
  }
  try {
    for (const name of missing) {
      await session.call(
        {
          method: 'POST',
          path: '/volumes/create',
          // The call's label too: a create aborted in flight may still be done by the
          // engine, and only the label finds it then. (A volume someone else made meanwhile
          // comes back as it is, without it, and is never removed here.)
          body: {
            Name: name,
            Labels: berthLabels(session.labels, {}, { ...ownership, token }),
          },
          signal,
        },
        { kind: 'volume', op: 'create', id: name },
      );
    }
    const created = await session.call<{ Id: string }>(
      { method: 'POST', path: '/containers/create', query: { name: config.name }, body, signal },
      { kind: 'container', op: 'create', name: config.name, cpu: config.resources.cpu },
    );
    session.managed.add(created.Id);
    return toInstance(await session.inspectOrThrow(created.Id, signal));
  } catch (error) {
    // Aborted or failed once a request may have reached the engine: whatever it made for
    // this call goes, found by the call's own label (no signal: the caller's has fired).
    await removeMadeBy(session, token);
    throw error;
  }
}
