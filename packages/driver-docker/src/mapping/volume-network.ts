import type { Network, Volume } from '@berth/core';
import { LABEL } from './labels.js';

/** A volume as the engine describes it (inspect and list). */
export interface EngineVolume {
  Name: string;
  Driver: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
}

/** A network as the engine describes it (inspect and list). */
export interface EngineNetwork {
  Id: string;
  Name: string;
  Driver: string;
  Internal: boolean;
  Created: string;
  Labels: Record<string, string> | null;
}

export function toVolume(volume: EngineVolume): Volume {
  const labels = volume.Labels ?? {};
  const result: Volume = {
    id: volume.Name,
    name: volume.Name,
    driver: volume.Driver,
    labels,
    createdAt: volume.CreatedAt ? new Date(volume.CreatedAt) : new Date(0),
  };
  if (labels[LABEL.session] !== undefined) result.sessionId = labels[LABEL.session];
  if (labels[LABEL.tenant] !== undefined) result.tenantId = labels[LABEL.tenant];
  if (volume.Mountpoint) result.mountpoint = volume.Mountpoint;
  return result;
}

export function toNetwork(network: EngineNetwork): Network {
  const labels = network.Labels ?? {};
  const result: Network = {
    id: network.Id,
    name: network.Name,
    driver: network.Driver,
    labels,
    internal: network.Internal,
    createdAt: new Date(network.Created),
  };
  if (labels[LABEL.session] !== undefined) result.sessionId = labels[LABEL.session];
  if (labels[LABEL.tenant] !== undefined) result.tenantId = labels[LABEL.tenant];
  return result;
}
