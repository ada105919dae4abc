import {
  type ContainerFilter,
  ContainerFilterSchema,
  type ContainerInstance,
  type DriverHealth,
  isObjectId,
  matchesContainerFilter,
  parseInput,
} from '@berth/core';
import { copy, type MockState } from '../engine/mock-state.js';

export function getContainer(state: MockState, id: string): ContainerInstance | null {
  if (!isObjectId(id)) return null;
  const container = state.containers.get(id) ?? state.byName(id);
  return container ? copy(container.instance) : null;
}

export function listContainers(state: MockState, filter: ContainerFilter): ContainerInstance[] {
  const wanted = parseInput(ContainerFilterSchema, filter, 'container filter');
  return [...state.containers.values()]
    .map((c) => c.instance)
    .filter((instance) => matchesContainerFilter(instance, wanted))
    .map(copy);
}

export function driverHealth(state: MockState, version: string): DriverHealth {
  const all = [...state.containers.values()].map((c) => c.instance);
  const running = all.filter((c) => c.status === 'running').length;
  return {
    status: 'healthy',
    version,
    uptime: (state.settings.clock.now() - state.startedAt) / 1000,
    containers: { total: all.length, running, stopped: all.length - running },
  };
}
