import { randomBytes } from 'node:crypto';
import { DockerDriver, engineAddress, pingDockerEngine } from '@berth/driver-docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTestImage } from '../../../scripts/test-image.mjs';
import { resilient } from '../src/index.js';

/*
 * A very short attempt timeout cuts creates off at every point, the engine's reply included.
 * Whatever the layer then returns or throws, the engine must hold exactly the containers its
 * callers got back: none they do not know about.
 */

const engineUp = await pingDockerEngine({ timeoutMs: 3000 });
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';

// In CI the suite always runs (and fails without an engine); elsewhere the skip names why.
const runs = engineUp || inCI;
(runs ? describe : describe.skip)(
  `resilience with short attempt timeouts on a real engine${
    runs ? '' : ' [skipped: no Docker engine; run scripts/docker-engine.sh]'
  }`,
  () => {
    const session = `short-${randomBytes(4).toString('hex')}`;
    const inner = new DockerDriver();
    // Missing or built elsewhere: fail at once with the fix.
    beforeAll(() => (engineUp ? assertTestImage(IMAGE, engineAddress()) : undefined));
    afterAll(async () => {
      if (engineUp) await inner.cleanup({ sessionId: session });
    });

    it('leaves no container its caller was not given', { timeout: 90_000 }, async () => {
      expect(engineUp).toBe(true);
      const returned: string[] = [];
      for (const timeout of [2, 5, 10, 20, 40, 80]) {
        const driver = resilient(inner, {
          retry: { attemptTimeoutMs: timeout, retries: 2, minTimeoutMs: 1, budget: false },
          breaker: false,
        });
        try {
          const c = await driver.createContainer({
            sessionId: session,
            image: IMAGE,
            command: ['true'],
          });
          returned.push(c.id);
        } catch {
          // Given up on: then nothing of it may be left.
        }
      }
      // Anything still in flight inside the driver settles within a second.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Listed by a driver of its own, straight from the engine's labels.
      const left = await new DockerDriver().listContainers({ sessionId: session });
      expect(left.map((c) => c.id).sort()).toEqual([...returned].sort());
    });
  },
);
