import {
  ConflictError,
  type ContainerDriver,
  type Network,
  NetworkConfigSchema,
  NetworkNotFoundError,
  NetworkRemoveError,
  parseInput,
  requireObjectId,
} from '@berth/core';
import { copy, type MockState } from '../engine/mock-state.js';

export function createNetwork(
  state: MockState,
  input: Parameters<ContainerDriver['createNetwork']>[0],
): Network {
  const { profile, idRandom } = state.settings;
  const config = parseInput(NetworkConfigSchema, input, 'network configuration');
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
    labels: {
      ...config.labels,
      ...(config.sessionId ? { 'berth.session': config.sessionId } : {}),
      ...(config.tenantId ? { 'berth.tenant': config.tenantId } : {}),
    },
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
