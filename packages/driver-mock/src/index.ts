// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

import type { DriverEntry, OptionKeys } from '@berth/core';
import { MockDockerDriver, MockLocalDriver } from './drivers.js';
import type { MockDriverOptions } from './mock-driver.js';

export { ManualClock, type MockClock, systemClock } from './determinism/clock.js';
export { MockDockerDriver, MockLocalDriver } from './drivers.js';
export {
  type FaultError,
  FaultInjector,
  type FaultTarget,
  type FaultTiming,
} from './middleware/fault-injector.js';
export type { Controlled } from './middleware/layer.js';
export {
  type MockCall,
  type RecordOptions,
  recordCalls,
  type WithCalls,
} from './middleware/record-calls.js';
export { type FaultOptions, type WithFaults, withFaults } from './middleware/with-faults.js';
export { type LatencyOptions, withLatency } from './middleware/with-latency.js';
export { MockDriver, type MockDriverOptions, type MockTiming } from './mock-driver.js';
export type { MockProgram, MockPrograms, ProgramSource } from './programs/program.js';

// Typed as the options interface's keys, so a new option cannot be forgotten here.
const OPTIONS: OptionKeys<MockDriverOptions> = {
  timing: true,
  seed: true,
  clock: true,
  enforcement: true,
  capabilities: true,
  programs: true,
  allowCapabilities: true,
  allowRoot: true,
};

/**
 * Registry entry points: `createDriver('mock-docker' | 'mock-local', options)`. No probe: a
 * mock runs anywhere, and detection never picks one for you.
 */
export const berthDrivers: Record<'mock-docker' | 'mock-local', DriverEntry<MockDriverOptions>> = {
  'mock-docker': { create: (options) => new MockDockerDriver(options), options: OPTIONS },
  'mock-local': { create: (options) => new MockLocalDriver(options), options: OPTIONS },
};

declare module '@berth/core' {
  interface DriverOptionsByName {
    'mock-docker': MockDriverOptions;
    'mock-local': MockDriverOptions;
  }
}
