import type { DriverFactory } from '@berth/core';
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

/** Registry entry points: `createDriver('mock-docker' | 'mock-local', options)`. */
export const berthDrivers: Record<'mock-docker' | 'mock-local', DriverFactory> = {
  'mock-docker': (options) => new MockDockerDriver(options as MockDriverOptions),
  'mock-local': (options) => new MockLocalDriver(options as MockDriverOptions),
};
