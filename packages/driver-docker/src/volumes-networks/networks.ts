import {
  isObjectId,
  type Network,
  type NetworkConfig,
  NetworkNotFoundError,
  requireObjectId,
} from '@berth/core';
import type { CreateContext, PrimitiveContext } from '@berth/core/kit';
import { INTERNAL_BRIDGE_OPTIONS } from '../engine/network-isolation.js';
import type { EngineSession } from '../engine/session.js';
import { labelFilter, ownedBy } from '../mapping/labels.js';
import { type EngineNetwork, toNetwork } from '../mapping/volume-network.js';

export async function createNetwork(
  session: EngineSession,
  config: NetworkConfig,
  ctx: CreateContext,
): Promise<Network> {
  const { signal } = ctx;
  const labels = { ...ctx.labels };
  const created = await session.call<{ Id: string }>(
    {
      method: 'POST',
      path: '/networks/create',
      body: {
        Name: config.name,
        CheckDuplicate: true,
        Driver: config.driver ?? 'bridge',
        Internal: config.internal,
        // No address on the host's side of an internal bridge: the host is not on it.
        Options: { ...config.options, ...(config.internal ? INTERNAL_BRIDGE_OPTIONS : {}) },
        Labels: labels,
      },
      signal,
    },
    { kind: 'network', op: 'create', id: config.name },
  );
  return toNetwork(
    await session.call<EngineNetwork>(
      { method: 'GET', path: `/networks/${created.Id}`, signal },
      { kind: 'network', op: 'other', id: created.Id },
    ),
  );
}

export async function removeNetwork(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  requireObjectId(id, 'network');
  const network = await session.call<EngineNetwork>(
    { method: 'GET', path: `/networks/${encodeURIComponent(id)}`, signal },
    { kind: 'network', op: 'other', id },
  );
  if (!ownedBy(network.Labels, session.owner)) throw new NetworkNotFoundError(id);
  await session.call(
    { method: 'DELETE', path: `/networks/${network.Id}`, signal },
    { kind: 'network', op: 'remove', id },
  );
}

export async function listNetworks(
  session: EngineSession,
  options: PrimitiveContext,
): Promise<Network[]> {
  return (await engineNetworks(session, [], options.signal)).map(toNetwork);
}

/** The managed networks carrying every one of `labels`, as the engine lists them. */
export async function engineNetworks(
  session: EngineSession,
  labels: string[],
  signal: AbortSignal | undefined,
): Promise<EngineNetwork[]> {
  signal?.throwIfAborted();
  return session.call<EngineNetwork[]>(
    {
      method: 'GET',
      path: '/networks',
      query: { filters: labelFilter(labels, session.owner) },
      signal,
    },
    { kind: 'engine' },
  );
}

/** Whether a network was made by this driver; undefined when there is no such network. */
export async function networkManaged(
  session: EngineSession,
  name: string,
  signal: AbortSignal | undefined,
): Promise<boolean | undefined> {
  if (name === 'host' || name.startsWith('container:') || !isObjectId(name)) return false;
  try {
    const network = await session.call<EngineNetwork>(
      { method: 'GET', path: `/networks/${encodeURIComponent(name)}`, signal },
      { kind: 'network', op: 'other', id: name },
    );
    return ownedBy(network.Labels, session.owner);
  } catch (error) {
    if (error instanceof NetworkNotFoundError) return undefined;
    throw error;
  }
}
