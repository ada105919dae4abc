import { dockerProfile, localProfile } from './engine/profiles.js';
import { MockDriver, type MockDriverOptions } from './mock-driver.js';

/**
 * Behaves like the Docker driver: at most 4.0 CPU per container, 100–200 ms per operation under
 * realistic timing, Docker's error patterns (see the README), status `exited` after a stop.
 */
export class MockDockerDriver extends MockDriver {
  constructor(options: MockDriverOptions = {}) {
    super(dockerProfile, options);
  }
}

/**
 * Behaves like the local driver: at most 2.0 CPU per container, 200–300 ms per operation under
 * realistic timing, the local runtime's error patterns, status `stopped` after a stop.
 */
export class MockLocalDriver extends MockDriver {
  constructor(options: MockDriverOptions = {}) {
    super(localProfile, options);
  }
}
