// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

import type { DriverEntry, OptionKeys } from '@berth/core';
import { SwarmDriver } from './swarm-driver.js';
import type { SwarmDriverOptions } from './swarm-options.js';

export type { NodeAmounts, SwarmNodeView } from './cluster/node-capacity.js';
export { SwarmDriver } from './swarm-driver.js';
export type { EngineEndpoint, SwarmDriverOptions } from './swarm-options.js';

// Typed as the options interface's keys, so a new option cannot be forgotten here.
const OPTIONS: OptionKeys<SwarmDriverOptions> = {
  manager: true,
  nodes: true,
  enforcement: true,
  labels: true,
  allowRoot: true,
  allowNetworks: true,
  startTimeoutMs: true,
};

/**
 * Picked up by `createDriver('swarm')` in @berth/core. Never picked by detectDriver(): an engine
 * in swarm mode still runs plain containers, and spreading them over a cluster is a choice.
 */
export const berthDrivers: { swarm: DriverEntry<SwarmDriverOptions> } = {
  swarm: {
    create: (options) => new SwarmDriver(options),
    options: OPTIONS,
    probe: () => false,
  },
};

declare module '@berth/core' {
  interface DriverOptionsByName {
    swarm: SwarmDriverOptions;
  }
}
