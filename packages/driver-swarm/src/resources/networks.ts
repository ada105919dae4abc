import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Network,
  type NetworkConfig,
  NetworkNotFoundError,
  requireObjectId,
} from '@berth/core';
import type { CreateContext, PrimitiveContext } from '@berth/core/kit';
import { type EngineNetwork, toNetwork } from '@berth/driver-docker/engine';
import type { ManagerApi } from '../cluster/manager.js';
import { ownedBySwarm, swarmFilter } from '../cluster/manager.js';

/**
 * Marks a container's own network (its value: the container's create token). A service asked
 * to join no network lands on its node's default bridge, where it reaches the node's own
 * listeners, and Swarm has no `none` network for services: so each such container gets an
 * internal overlay that nothing else is on, made before it and removed after it.
 */
export const OWN_NETWORK_LABEL = 'berth.swarm-own-network';

/** A network as the manager describes it: the Docker driver's view, plus its scope. */
export interface SwarmNetwork extends EngineNetwork {
  Scope: string;
}

/**
 * An overlay network: it spans every node, and the host is never on it (an overlay has no
 * address on any host). An internal one also gives its tasks no gateway bridge, so no route
 * out of it at all.
 */
export async function createNetwork(
  manager: ManagerApi,
  config: NetworkConfig,
  ctx: CreateContext,
): Promise<Network> {
  const { signal } = ctx;
  const created = await manager.session.call<{ Id: string }>(
    {
      method: 'POST',
      path: '/networks/create',
      body: {
        Name: config.name,
        CheckDuplicate: true,
        Driver: 'overlay',
        Internal: config.internal,
        // Services only: a container started outside the swarm cannot join it.
        Attachable: false,
        Options: { ...config.options },
        Labels: { ...ctx.labels },
      },
      signal,
    },
    { kind: 'network', op: 'create', id: config.name },
  );
  return toNetwork(await inspectNetwork(manager, created.Id, signal));
}

export function inspectNetwork(
  manager: ManagerApi,
  id: string,
  signal: AbortSignal | undefined,
): Promise<SwarmNetwork> {
  return manager.session.call<SwarmNetwork>(
    { method: 'GET', path: `/networks/${encodeURIComponent(id)}`, signal },
    { kind: 'network', op: 'other', id },
  );
}

/** A network by exact name or id, or undefined; `owned` says whether this driver made it. */
export async function findNetwork(
  manager: ManagerApi,
  name: string,
  signal: AbortSignal | undefined,
): Promise<{ network: SwarmNetwork; owned: boolean } | undefined> {
  try {
    const network = await inspectNetwork(manager, name, signal);
    // The engine also answers a prefix of an id: only an exact name or id counts.
    if (network.Name !== name && network.Id !== name) return undefined;
    return { network, owned: ownedBySwarm(network.Labels) };
  } catch (error) {
    if (error instanceof NetworkNotFoundError) return undefined;
    throw error;
  }
}

export async function removeNetwork(
  manager: ManagerApi,
  id: string,
  ctx: PrimitiveContext,
): Promise<void> {
  requireObjectId(id, 'network');
  const found = await findNetwork(manager, id, ctx.signal);
  if (!found?.owned) throw new NetworkNotFoundError(id);
  await manager.session.call(
    { method: 'DELETE', path: `/networks/${found.network.Id}`, signal: ctx.signal },
    { kind: 'network', op: 'remove', id },
  );
}

export async function listNetworks(
  manager: ManagerApi,
  labels: string[],
  ctx: PrimitiveContext,
): Promise<SwarmNetwork[]> {
  const networks = await manager.session.call<SwarmNetwork[]>(
    {
      method: 'GET',
      path: '/networks',
      query: { filters: swarmFilter(labels) },
      signal: ctx.signal,
    },
    { kind: 'engine' },
  );
  return networks.filter((n) => ownedBySwarm(n.Labels));
}

/** An internal overlay for one container only (see OWN_NETWORK_LABEL). */
export async function createOwnNetwork(
  manager: ManagerApi,
  labels: Record<string, string>,
  token: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const name = `berth-own-${token.replaceAll('-', '').slice(0, 20)}`;
  const created = await manager.session.call<{ Id: string }>(
    {
      method: 'POST',
      path: '/networks/create',
      body: {
        Name: name,
        CheckDuplicate: true,
        Driver: 'overlay',
        Internal: true,
        Attachable: false,
        Labels: { ...labels, [OWN_NETWORK_LABEL]: token },
      },
      signal,
    },
    { kind: 'network', op: 'create', id: name },
  );
  return created.Id;
}

/**
 * Removes this driver's networks carrying `labels`, trying again while the endpoint of a task
 * just removed lingers on its node (5 s at most; one still in use is left to `cleanup`).
 * Returns the networks there were.
 */
export async function removeNetworks(
  manager: ManagerApi,
  labels: string[],
  signal: AbortSignal | undefined,
): Promise<SwarmNetwork[]> {
  let found: SwarmNetwork[] | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    const left = await listNetworks(manager, labels, { signal });
    found ??= left;
    if (left.length === 0) break;
    const removed = await Promise.all(
      left.map((n) =>
        manager.session
          .call(
            { method: 'DELETE', path: `/networks/${n.Id}`, signal },
            { kind: 'network', op: 'remove', id: n.Id },
          )
          .then(
            () => true,
            (error: unknown) => error instanceof NetworkNotFoundError,
          ),
      ),
    );
    if (removed.every(Boolean)) break;
    await sleep(250, undefined, { signal });
  }
  return found ?? [];
}

/** Removes the own network of the container made with `token`, once its task's is gone. */
export async function removeOwnNetwork(manager: ManagerApi, token: string): Promise<void> {
  await removeNetworks(manager, [`${OWN_NETWORK_LABEL}=${token}`], undefined);
}
