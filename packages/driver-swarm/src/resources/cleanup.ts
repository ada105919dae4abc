import { setTimeout as sleep } from 'node:timers/promises';
import type { CleanupFilter, CleanupResult } from '@berth/core';
import { BERTH_LABELS, type PrimitiveContext } from '@berth/core/kit';
import { statusOf } from '@berth/driver-docker/engine';
import type { ManagerApi } from '../cluster/manager.js';
import type { NodeEngines } from '../cluster/node-engines.js';
import { poll } from '../services/lifecycle.js';
import { listNetworks, OWN_NETWORK_LABEL } from './networks.js';
import { listVolumes } from './volumes.js';

function filterLabels(filter: CleanupFilter): string[] {
  const wanted: string[] = [];
  if ('sessionId' in filter && filter.sessionId !== undefined) {
    wanted.push(`${BERTH_LABELS.session}=${filter.sessionId}`);
  }
  if ('tenantId' in filter && filter.tenantId !== undefined) {
    wanted.push(`${BERTH_LABELS.tenant}=${filter.tenantId}`);
  }
  return wanted;
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
  const wanted = filterLabels(filter);
  const services = await manager.services(wanted, signal);
  const reachable = await engines.reachable(signal);
  const serviceIds = new Set(services.map((s) => s.ID));
  // Their containers killed first: removing a service has its node give each 10 s to stop.
  await Promise.all(
    reachable.map((engine) =>
      engine.containers
        .listContainers({ label: { [BERTH_LABELS.managed]: 'true' } }, { signal })
        .then((list) =>
          Promise.all(
            list
              .filter((c) => serviceIds.has(c.labels['com.docker.swarm.service.id'] ?? ''))
              .filter((c) => c.status === 'running' || c.status === 'paused')
              .map((c) => engine.containers.stopContainer(c.id, { force: true }, { signal })),
          ),
        )
        .catch(() => undefined),
    ),
  );
  await Promise.all(services.map((s) => manager.removeService(s.ID, signal).catch(ignoreGone)));
  // The nodes remove the containers of removed services; networks are in use until they have.
  await poll(
    async () => {
      const left = await Promise.all(
        reachable.map((engine) =>
          engine.containers
            .listContainers({ label: { [BERTH_LABELS.managed]: 'true' } }, { signal })
            .then(
              (list) =>
                list.filter((c) => serviceIds.has(c.labels['com.docker.swarm.service.id'] ?? ''))
                  .length,
            )
            .catch(() => 0),
        ),
      );
      return left.every((n) => n === 0) ? true : undefined;
    },
    15_000,
    signal,
  );
  // A node that was away when its services were removed may still hold their containers:
  // removed here, as the Docker driver's cleanup would remove them.
  const alive = new Set((await manager.services([], signal)).map((s) => s.ID));
  const nodeFilter = {
    ...('sessionId' in filter && filter.sessionId !== undefined
      ? { sessionId: filter.sessionId }
      : {}),
    ...('tenantId' in filter && filter.tenantId !== undefined ? { tenantId: filter.tenantId } : {}),
  };
  await Promise.all(
    reachable.map((engine) =>
      engine.containers
        .listContainers(nodeFilter, { signal })
        .then((list) =>
          Promise.all(
            list
              .filter((c) => !alive.has(c.labels['com.docker.swarm.service.id'] ?? ''))
              .map((c) =>
                engine.containers.removeContainer(c.id, { force: true, volumes: true }, { signal }),
              ),
          ),
        )
        .catch(() => undefined),
    ),
  );
  // A container's own network is counted as part of it, not as a network.
  const networks = (await listNetworks(manager, wanted, ctx)).filter(
    (n) => n.Labels?.[OWN_NETWORK_LABEL] === undefined,
  );
  for (let attempt = 0; attempt < 20; attempt++) {
    const left = await listNetworks(manager, wanted, ctx);
    if (left.length === 0) break;
    await Promise.all(
      left.map((n) =>
        manager.session
          .call(
            { method: 'DELETE', path: `/networks/${n.Id}`, signal },
            { kind: 'network', op: 'remove', id: n.Id },
          )
          .catch(() => undefined),
      ),
    );
    if ((await listNetworks(manager, wanted, ctx)).length === 0) break;
    // An endpoint of a task just removed can linger a moment on its node.
    await sleep(250, undefined, { signal });
  }
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
