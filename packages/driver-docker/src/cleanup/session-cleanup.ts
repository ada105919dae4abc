import type { CleanupFilter, CleanupResult } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import { statusOf } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';
import type { EngineContainerSummary } from '../mapping/instance.js';
import { LABEL, labelFilter } from '../mapping/labels.js';
import { engineNetworks } from '../volumes-networks/networks.js';
import { engineVolumes } from '../volumes-networks/volumes.js';

/**
 * Removes every container, network and volume of a session, whichever process made them and
 * whether or not it is still alive: the engine's labels are the only record needed.
 */
export async function cleanup(
  session: EngineSession,
  filter: CleanupFilter,
  ctx: PrimitiveContext,
): Promise<CleanupResult> {
  const { signal } = ctx;
  const wanted: string[] = [];
  if ('sessionId' in filter && filter.sessionId !== undefined) {
    wanted.push(`${LABEL.session}=${filter.sessionId}`);
  }
  if ('tenantId' in filter && filter.tenantId !== undefined) {
    wanted.push(`${LABEL.tenant}=${filter.tenantId}`);
  }
  const ignoreGone = (error: unknown) => {
    if (statusOf((error as { cause?: unknown }).cause) !== 404) throw error;
  };

  const containers = await session.call<EngineContainerSummary[]>(
    {
      method: 'GET',
      path: '/containers/json',
      query: { all: true, filters: labelFilter(wanted, session.owner) },
      signal,
    },
    { kind: 'engine' },
  );
  await Promise.all(
    containers.map((c) =>
      session
        .call(
          { method: 'DELETE', path: session.path(c.Id), query: { force: true, v: true }, signal },
          { kind: 'container', op: 'remove', id: c.Id },
        )
        .then(() => session.managed.delete(c.Id))
        .catch(ignoreGone),
    ),
  );
  // Networks and volumes after the containers: the engine refuses to remove them while in use.
  const networks = await engineNetworks(session, wanted, signal);
  await Promise.all(
    networks.map((n) =>
      session
        .call(
          { method: 'DELETE', path: `/networks/${n.Id}`, signal },
          { kind: 'network', op: 'remove', id: n.Id },
        )
        .catch(ignoreGone),
    ),
  );
  const volumes = await engineVolumes(session, wanted, signal);
  await Promise.all(
    volumes.map((v) =>
      session
        .call(
          { method: 'DELETE', path: `/volumes/${encodeURIComponent(v.Name)}`, signal },
          { kind: 'volume', op: 'remove', id: v.Name },
        )
        .catch(ignoreGone),
    ),
  );
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}
