import type { DriverFactory } from '@berth/core';
import { MockDockerDriver, MockLocalDriver } from './drivers.js';
import type { MockDriverOptions } from './mock-driver.js';

export { ManualClock, type MockClock, systemClock } from './clock.js';
export { MockDockerDriver, MockLocalDriver } from './drivers.js';
export { type FaultError, FaultInjector, type FaultTarget } from './faults.js';
export {
  type MockCall,
  MockDriver,
  type MockDriverOptions,
  type MockTiming,
} from './mock-driver.js';
export type { MockProgram, MockPrograms, ProgramSource } from './program.js';

/** Registry entry points: `createDriver('mock-docker' | 'mock-local', options)`. */
export const berthDrivers: Record<'mock-docker' | 'mock-local', DriverFactory> = {
  'mock-docker': (options) => new MockDockerDriver(options as MockDriverOptions),
  'mock-local': (options) => new MockLocalDriver(options as MockDriverOptions),
};
