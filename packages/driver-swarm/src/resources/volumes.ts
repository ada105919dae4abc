import {
  ConflictError,
  NetworkError,
  requireObjectId,
  type Volume,
  type VolumeConfig,
  VolumeNotFoundError,
} from '@berth/core';
import type { CreateContext, PrimitiveContext } from '@berth/core/kit';
import { type EngineVolume, toVolume } from '@berth/driver-docker/engine';
import { ownedBySwarm, swarmFilter } from '../cluster/manager.js';
import type { NodeEngine, NodeEngines } from '../cluster/node-engines.js';
import type { SwarmNode } from '../cluster/swarm-types.js';

/** The label naming the node a volume lives on; containers mounting it are placed there. */
export const VOLUME_NODE_LABEL = 'berth.swarm-node';

type Signal = AbortSignal | undefined;

/**
 * A local volume lives on one node: it is made on the engine of a ready, active node (the one
 * with the fewest of this driver's volumes), and every container mounting it runs there.
 */
export async function createVolume(
  engines: NodeEngines,
  nodes: SwarmNode[],
  config: VolumeConfig,
  ctx: CreateContext,
): Promise<Volume> {
  const { signal } = ctx;
  const existing = await findVolume(engines, config.name, signal);
  if (existing) {
    throw new ConflictError(
      `Volume ${config.name} already exists on node ${existing.engine.nodeId}`,
    );
  }
  const ready = new Set(
    nodes
      .filter((n) => n.Status.State === 'ready' && n.Spec.Availability === 'active')
      .map((n) => n.ID),
  );
  const candidates = (await engines.reachable(signal)).filter((e) => ready.has(e.nodeId));
  if (candidates.length === 0) {
    throw new NetworkError(
      'No ready node has an engine that answers: a volume is made on a node, so give the nodes in the `nodes` option',
    );
  }
  const counts = await Promise.all(
    candidates.map(
      async (engine) => (await engineVolumes(engine, [], signal).catch(() => [])).length,
    ),
  );
  const engine = candidates[counts.indexOf(Math.min(...counts))] as NodeEngine;
  const volume = await engine.session.call<EngineVolume>(
    {
      method: 'POST',
      path: '/volumes/create',
      body: {
        Name: config.name,
        Driver: config.driver ?? 'local',
        DriverOpts: { ...config.options },
        Labels: { ...ctx.labels, [VOLUME_NODE_LABEL]: engine.nodeId },
      },
      signal,
    },
    { kind: 'volume', op: 'create', id: config.name },
  );
  return toVolume(volume);
}

function engineVolumes(
  engine: NodeEngine,
  labels: string[],
  signal: Signal,
): Promise<EngineVolume[]> {
  return engine.session
    .call<{ Volumes: EngineVolume[] | null }>(
      { method: 'GET', path: '/volumes', query: { filters: swarmFilter(labels) }, signal },
      { kind: 'engine' },
    )
    .then((reply) => (reply.Volumes ?? []).filter((v) => ownedBySwarm(v.Labels)));
}

/** This driver's volume by name, and the node engine holding it; undefined when none does. */
export async function findVolume(
  engines: NodeEngines,
  name: string,
  signal: Signal,
): Promise<{ volume: EngineVolume; engine: NodeEngine } | undefined> {
  const all = await Promise.all(
    (await engines.reachable(signal)).map(async (engine) => {
      const found = await engineVolumes(engine, [], signal).catch(() => []);
      const volume = found.find((v) => v.Name === name);
      return volume ? { volume, engine } : undefined;
    }),
  );
  return all.find((entry) => entry !== undefined);
}

export async function removeVolume(
  engines: NodeEngines,
  name: string,
  ctx: PrimitiveContext,
): Promise<void> {
  requireObjectId(name, 'volume');
  const found = await findVolume(engines, name, ctx.signal);
  if (!found) throw new VolumeNotFoundError(name);
  await found.engine.session.call(
    { method: 'DELETE', path: `/volumes/${encodeURIComponent(name)}`, signal: ctx.signal },
    { kind: 'volume', op: 'remove', id: name },
  );
}

/** Every node's volumes of this driver (nodes whose engine does not answer are left out). */
export async function listVolumes(
  engines: NodeEngines,
  labels: string[],
  signal: Signal,
): Promise<{ volume: Volume; engine: NodeEngine }[]> {
  const lists = await Promise.all(
    (await engines.reachable(signal)).map(async (engine) =>
      (await engineVolumes(engine, labels, signal).catch(() => [])).map((v) => ({
        volume: toVolume(v),
        engine,
      })),
    ),
  );
  return lists.flat();
}
