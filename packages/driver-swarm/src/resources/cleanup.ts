import type { CleanupFilter, CleanupResult } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import { statusOf } from '@berth/driver-docker/engine';
import { type ManagerApi, ownerLabels } from '../cluster/manager.js';
import type { NodeEngines } from '../cluster/node-engines.js';
import { poll } from '../services/lifecycle.js';
import { OWN_NETWORK_LABEL, removeNetworks } from './networks.js';
import { listVolumes } from './volumes.js';

/** The cleanup filter's session and tenant; none for `{ all: true }`. */
function ownerOf(filter: CleanupFilter): { sessionId?: string; tenantId?: string } {
  if ('all' in filter) return {};
  return {
    ...(filter.sessionId === undefined ? {} : { sessionId: filter.sessionId }),
    ...(filter.tenantId === undefined ? {} : { tenantId: filter.tenantId }),
  };
}

const ignoreGone = (error: unknown) => {
  if (statusOf((error as { cause?: unknown }).cause) !== 404) throw error;
};

/**
 * Removes every service, network and volume of the filter, on the manager and on every node
 * whose engine answers, whichever process made them. A node that is away keeps its volumes
 * (and the containers of removed services, which its engine removes when it rejoins): a later
 * cleanup, once it is back, removes the rest.
 */
export async function cleanup(
  manager: ManagerApi,
  engines: NodeEngines,
  filter: CleanupFilter,
  ctx: PrimitiveContext,
): Promise<CleanupResult> {
  const { signal } = ctx;
  const owner = ownerOf(filter);
  const wanted = ownerLabels(owner);
  const services = await manager.services(wanted, signal);
  const reachable = await engines.reachable(signal);
  const serviceIds = new Set(services.map((s) => s.ID));
  // On a node, the containers of the filter's tasks, and the service each ran for.
  const onNodes = () =>
    Promise.all(
      reachable.map(async (engine) => ({
        engine,
        containers: await engine.containers.listContainers(owner, { signal }).catch(() => []),
      })),
    );
  const serviceOf = (c: { labels: Record<string, string> }) =>
    c.labels['com.docker.swarm.service.id'] ?? '';
  // Their containers killed first: removing a service has its node give each 10 s to stop.
  await Promise.all(
    (await onNodes()).flatMap(({ engine, containers }) =>
      containers
        .filter((c) => serviceIds.has(serviceOf(c)))
        .filter((c) => c.status === 'running' || c.status === 'paused')
        .map((c) =>
          engine.containers.stopContainer(c.id, { force: true }, { signal }).catch(() => undefined),
        ),
    ),
  );
  await Promise.all(services.map((s) => manager.removeService(s.ID, signal).catch(ignoreGone)));
  // The nodes remove the containers of removed services; networks are in use until they have.
  await poll(
    async () => {
      const left = (await onNodes()).flatMap(({ containers }) =>
        containers.filter((c) => serviceIds.has(serviceOf(c))),
      );
      return left.length === 0 ? true : undefined;
    },
    15_000,
    signal,
  );
  // A node that was away when its services were removed may still hold their containers:
  // removed here, as the Docker driver's cleanup would remove them.
  const alive = new Set((await manager.services([], signal)).map((s) => s.ID));
  await Promise.all(
    (await onNodes()).flatMap(({ engine, containers }) =>
      containers
        .filter((c) => !alive.has(serviceOf(c)))
        .map((c) =>
          engine.containers
            .removeContainer(c.id, { force: true, volumes: true }, { signal })
            .catch(() => undefined),
        ),
    ),
  );
  // A container's own network is counted as part of it, not as a network.
  const networks = (await removeNetworks(manager, wanted, signal)).filter(
    (n) => n.Labels?.[OWN_NETWORK_LABEL] === undefined,
  );
  const volumes = await listVolumes(engines, wanted, signal);
  await Promise.all(
    volumes.map(({ volume, engine }) =>
      engine.session
        .call(
          { method: 'DELETE', path: `/volumes/${encodeURIComponent(volume.name)}`, signal },
          { kind: 'volume', op: 'remove', id: volume.name },
        )
        .catch(ignoreGone),
    ),
  );
  return { containers: services.length, networks: networks.length, volumes: volumes.length };
}
