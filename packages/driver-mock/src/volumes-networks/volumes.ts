import {
  requireObjectId,
  type Volume,
  type VolumeConfig,
  VolumeNotFoundError,
  VolumeRemoveError,
} from '@berth/core';
import { copy, type MockState } from '../engine/mock-state.js';

/** Records a volume (named volumes a create mentions are made on the fly through this too). */
export function addVolume(
  state: MockState,
  name: string,
  sessionId: string | undefined,
  tenantId: string | undefined,
  labels: Record<string, string>,
): Volume {
  const volume: Volume = {
    id: name,
    name,
    driver: state.name,
    ...(sessionId ? { sessionId } : {}),
    ...(tenantId ? { tenantId } : {}),
    labels: { ...labels },
    createdAt: state.now(),
    mountpoint: `/mock/volumes/${name}`,
  };
  state.volumes.set(name, volume);
  return volume;
}

/** `config` is checked; `labels` are the kit's full set for it. */
export function createVolume(
  state: MockState,
  config: VolumeConfig,
  labels: Readonly<Record<string, string>>,
): Volume {
  const existing = state.volumes.get(config.name);
  // Both real drivers answer a create of an existing name with the existing volume.
  if (existing) return copy(existing);
  return copy(addVolume(state, config.name, config.sessionId, config.tenantId, { ...labels }));
}

export function removeVolume(state: MockState, id: string): void {
  requireObjectId(id, 'volume');
  if (!state.volumes.has(id)) throw new VolumeNotFoundError(id);
  const user = [...state.containers.values()].find((c) =>
    c.config.volumes.some((v) => v.type === 'volume' && v.source === id),
  );
  if (user) throw new VolumeRemoveError(id, `volume is in use by container ${user.instance.id}`);
  state.volumes.delete(id);
}

export function listVolumes(state: MockState): Volume[] {
  return [...state.volumes.values()].map(copy);
}
