import { request } from 'node:http';
import { type DockerDriver, engineAddress, pingDockerEngine } from '@berth/driver-docker';
import { describe, it } from 'vitest';
import type { SuiteOptions } from './driver-suite.js';

export const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const address = JSON.stringify(engineAddress());
const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Whether the engine has the image (the driver never pulls, and no registry is reachable). */
function hasImage(image: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        ...engineAddress(),
        path: `/images/${encodeURIComponent(image)}/json`,
        method: 'GET',
        timeout: 3000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export const engineUp = await pingDockerEngine({ timeoutMs: 3000 });
const imageThere = engineUp && (await hasImage(IMAGE));

/**
 * `describe` for tests on a real Docker engine. Without one (or without the test image): in
 * CI a failing test, since engine tests must never pass by not running; elsewhere a skip
 * that says why and what to run.
 */
export function describeEngine(name: string, body: () => void): void {
  if (engineUp && imageThere) {
    describe(name, body);
    return;
  }
  const reason = engineUp
    ? `the test image ${IMAGE} is missing; run 'sudo bash scripts/docker-engine.sh'`
    : `no Docker engine at ${address}; run 'sudo bash scripts/docker-engine.sh'`;
  if (inCI) {
    describe(name, () => {
      it('needs a Docker engine and the test image', () => {
        throw new Error(`CI=true but ${reason}`);
      });
    });
    return;
  }
  // Printed too: the default reporter shows a skipped suite's count, not its name.
  console.warn(`[@berth/cli] skipping "${name}": ${reason}`);
  describe.skip(`${name} [skipped: ${reason}]`, body);
}

/** The Docker driver as the driver suite runs it, checked on the engine through `engine`. */
export function dockerSuite(engine: DockerDriver): SuiteOptions {
  return {
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
  };
}
