import type { EngineSession } from '../engine/session.js';
import type { EngineContainerSummary } from '../mapping/instance.js';
import { LABEL, labelFilter } from '../mapping/labels.js';
import type { EngineVolume } from '../mapping/volume-network.js';

/**
 * Removes every container one create call made (see LABEL.create). Looked up again a moment
 * later: an engine may finish a create whose client has already gone.
 */
export async function removeMadeBy(session: EngineSession, token: string): Promise<void> {
  for (const delay of [0, 200, 600]) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    await removeMadeOnce(session, token);
  }
}

async function removeMadeOnce(session: EngineSession, token: string): Promise<void> {
  try {
    const made = await session.call<EngineContainerSummary[]>(
      {
        method: 'GET',
        path: '/containers/json',
        query: { all: true, filters: labelFilter([`${LABEL.create}=${token}`], session.owner) },
      },
      { kind: 'engine' },
    );
    for (const container of made) {
      await session
        .call(
          { method: 'DELETE', path: session.path(container.Id), query: { force: true, v: true } },
          { kind: 'container', op: 'remove', id: container.Id },
        )
        .catch(() => undefined);
      session.managed.delete(container.Id);
    }
    // Volumes after the containers that may mount them.
    const volumes = await session.call<{ Volumes: EngineVolume[] | null }>(
      {
        method: 'GET',
        path: '/volumes',
        query: { filters: labelFilter([`${LABEL.create}=${token}`], session.owner) },
      },
      { kind: 'engine' },
    );
    for (const volume of volumes.Volumes ?? []) {
      await session
        .call(
          { method: 'DELETE', path: `/volumes/${encodeURIComponent(volume.Name)}` },
          { kind: 'volume', op: 'remove', id: volume.Name },
        )
        .catch(() => undefined);
    }
  } catch {
    // The engine is unreachable: cleanup({ sessionId }) finds it later by its session label.
  }
}
