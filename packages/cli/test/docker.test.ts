import { DockerDriver } from '@berth/driver-docker';
import { afterAll } from 'vitest';
import { defineDriverSuite } from './support/driver-suite.js';
import { describeEngine, IMAGE } from './support/engine.js';

describeEngine('berth on the Docker driver', () => {
  // Checks the engine's side directly, not through the CLI under test.
  const engine = new DockerDriver();
  afterAll(() => engine.close());

  defineDriverSuite({
    driver: 'docker',
    image: IMAGE,
    // The driver never pulls: an image the engine does not have fails the create.
    failingRun: {
      args: ['berth-test/not-there:none', '--', 'true'],
      error: 'ContainerCreationError',
    },
    listDirectly: async (session) => (await engine.listContainers({ sessionId: session })).length,
    cleanDirectly: async (session) => {
      await engine.cleanup({ sessionId: session });
    },
  });
});
