import { DockerDriver } from '@berth/driver-docker';
import { afterAll } from 'vitest';
import { defineDriverSuite } from './support/driver-suite.js';
import { describeEngine, dockerSuite } from './support/engine.js';

describeEngine('berth exec, ps, logs, stop, rm and cleanup on the Docker driver', () => {
  // Checks the engine's side directly, not through the CLI under test.
  const engine = new DockerDriver();
  afterAll(() => engine.close());
  defineDriverSuite(dockerSuite(engine), ['manage']);
});
