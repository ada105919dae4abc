import type { ContainerFilter, ContainerInstance, ContainerStats } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type Dockerode from 'dockerode';
import type { EngineSession } from '../engine/session.js';
import { type EngineContainerSummary, toInstance } from '../mapping/instance.js';
import { LABEL, labelFilter } from '../mapping/labels.js';
import { type EngineStats, toContainerStats } from '../mapping/stats.js';

function oneOrMany<T>(value: T | T[] | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

export async function getContainer(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<ContainerInstance | null> {
  const info = await session.inspect(id, options.signal);
  return info ? toInstance(info) : null;
}

export async function listContainers(
  session: EngineSession,
  wanted: ContainerFilter,
  options: PrimitiveContext,
): Promise<ContainerInstance[]> {
  const { signal } = options;
  const labels: string[] = [];
  if (wanted.sessionId !== undefined) labels.push(`${LABEL.session}=${wanted.sessionId}`);
  if (wanted.tenantId !== undefined) labels.push(`${LABEL.tenant}=${wanted.tenantId}`);
  for (const [key, value] of Object.entries(wanted.label ?? {})) {
    labels.push(value === true ? key : `${key}=${value}`);
  }
  const summaries = await session.call<EngineContainerSummary[]>(
    {
      method: 'GET',
      path: '/containers/json',
      query: { all: true, filters: labelFilter(labels, session.owner) },
      signal,
    },
    { kind: 'engine' },
  );
  // The summary lacks start time, exit code, health and limits: inspect each for the full view.
  const infos = await Promise.all(summaries.map((summary) => session.inspect(summary.Id, signal)));
  const statuses = oneOrMany(wanted.status);
  const states = oneOrMany(wanted.state);
  return infos
    .filter((info): info is Dockerode.ContainerInspectInfo => info !== null)
    .map(toInstance)
    .filter(
      (instance) =>
        (!statuses || statuses.includes(instance.status)) &&
        (!states || states.includes(instance.state)),
    );
}

export async function getContainerStats(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<ContainerStats> {
  await session.requireManaged(id, options.signal, 'reads');
  const what = { kind: 'container', op: 'other', id } as const;
  // The writable layer's size comes only from an inspect that asks for it; the engine walks
  // the layer for that, so it is read here, not on every getContainer.
  const [stats, sized] = await Promise.all([
    session.call<EngineStats>(
      {
        method: 'GET',
        path: session.path(id, '/stats'),
        query: { stream: false },
        signal: options.signal,
      },
      what,
    ),
    session.call<{ SizeRw?: number }>(
      {
        method: 'GET',
        path: session.path(id, '/json'),
        query: { size: true },
        signal: options.signal,
      },
      what,
    ),
  ]);
  return toContainerStats(stats, sized.SizeRw);
}

export async function isContainerHealthy(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<boolean> {
  options.signal?.throwIfAborted();
  const info = await session.inspectOrThrow(id, options.signal);
  if (info.State.Status !== 'running') return false;
  const health = info.State.Health?.Status;
  return health === undefined || health === 'none' || health === 'healthy';
}
