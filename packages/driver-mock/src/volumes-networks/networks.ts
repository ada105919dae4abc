import {
  ConflictError,
  type Network,
  type NetworkConfig,
  NetworkNotFoundError,
  NetworkRemoveError,
  requireObjectId,
} from '@berth/core';
import { copy, type MockState } from '../engine/mock-state.js';

/** `config` is checked; `labels` are the kit's full set for it. */
export function createNetwork(
  state: MockState,
  config: NetworkConfig,
  labels: Readonly<Record<string, string>>,
): Network {
  const { profile, idRandom } = state.settings;
  if (state.network(config.name)) {
    throw new ConflictError(profile.networkConflictMessage(config.name));
  }
  const id = profile.newNetworkId((n) => idRandom.hex(n));
  const network: Network = {
    id,
    name: config.name,
    driver: state.name,
    ...(config.sessionId ? { sessionId: config.sessionId } : {}),
    ...(config.tenantId ? { tenantId: config.tenantId } : {}),
    labels: { ...labels },
    internal: config.internal,
    createdAt: state.now(),
  };
  state.networks.set(id, network);
  return copy(network);
}

export function removeNetwork(state: MockState, id: string): void {
  requireObjectId(id, 'network');
  const network = state.network(id);
  if (!network) throw new NetworkNotFoundError(id);
  const user = [...state.containers.values()].find(
    (c) => c.config.network === network.id || c.config.network === network.name,
  );
  if (user) {
    throw new NetworkRemoveError(
      id,
      `network has active endpoints (container ${user.instance.id})`,
    );
  }
  state.networks.delete(network.id);
}

export function listNetworks(state: MockState): Network[] {
  return [...state.networks.values()].map(copy);
}
