import {
  ConflictError,
  requireObjectId,
  type Volume,
  type VolumeConfig,
  VolumeNotFoundError,
} from '@berth/core';
import type { CreateContext, PrimitiveContext } from '@berth/core/kit';
import type { EngineOperation } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';
import { LABEL, labelFilter, ownedBy } from '../mapping/labels.js';
import { type EngineVolume, toVolume } from '../mapping/volume-network.js';

export async function createVolume(
  session: EngineSession,
  config: VolumeConfig,
  ctx: CreateContext,
): Promise<Volume> {
  const { signal } = ctx;
  const labels = { ...ctx.labels };
  const what: EngineOperation = { kind: 'volume', op: 'create', id: config.name };
  const volume = await session.call<EngineVolume>(
    {
      method: 'POST',
      path: '/volumes/create',
      body: { Name: config.name, Driver: config.driver ?? 'local', Labels: labels },
      signal,
    },
    what,
  );
  // The engine answers a create of an existing name with that volume: make sure it is ours.
  const existing = volume.Labels ?? {};
  if (!ownedBy(existing, session.owner) || existing[LABEL.session] !== labels[LABEL.session]) {
    throw new ConflictError(`Volume ${config.name} already exists and belongs to something else`);
  }
  return toVolume(volume);
}

export async function removeVolume(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<void> {
  await requireVolume(session, id, options.signal);
  await session.call(
    { method: 'DELETE', path: `/volumes/${encodeURIComponent(id)}`, signal: options.signal },
    { kind: 'volume', op: 'remove', id },
  );
}

export async function listVolumes(
  session: EngineSession,
  options: PrimitiveContext,
): Promise<Volume[]> {
  return (await engineVolumes(session, [], options.signal)).map(toVolume);
}

/** The managed volumes carrying every one of `labels`, as the engine lists them. */
export async function engineVolumes(
  session: EngineSession,
  labels: string[],
  signal: AbortSignal | undefined,
): Promise<EngineVolume[]> {
  signal?.throwIfAborted();
  const reply = await session.call<{ Volumes: EngineVolume[] | null }>(
    {
      method: 'GET',
      path: '/volumes',
      query: { filters: labelFilter(labels, session.owner) },
      signal,
    },
    { kind: 'engine' },
  );
  return reply.Volumes ?? [];
}

/** A volume's labels; undefined when there is no such volume. */
export async function volumeLabels(
  session: EngineSession,
  name: string,
  signal: AbortSignal | undefined,
): Promise<Record<string, string> | undefined> {
  try {
    const volume = await session.call<EngineVolume>(
      { method: 'GET', path: `/volumes/${encodeURIComponent(name)}`, signal },
      { kind: 'volume', op: 'other', id: name },
    );
    return volume.Labels ?? {};
  } catch (error) {
    if (error instanceof VolumeNotFoundError) return undefined;
    throw error;
  }
}

async function requireVolume(
  session: EngineSession,
  id: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  signal?.throwIfAborted();
  requireObjectId(id, 'volume');
  const volume = await session.call<EngineVolume>(
    { method: 'GET', path: `/volumes/${encodeURIComponent(id)}`, signal },
    { kind: 'volume', op: 'other', id },
  );
  if (!ownedBy(volume.Labels, session.owner)) throw new VolumeNotFoundError(id);
}
