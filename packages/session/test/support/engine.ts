import { randomBytes } from 'node:crypto';
import { engineAddress, pingDockerEngine } from '@berth/driver-docker';
import { eventually as kitEventually, type PollOptions } from '@berth/testkit';
import { beforeAll, describe, it } from 'vitest';
import { assertTestImage } from '../../../../scripts/test-image.mjs';

export const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const engineUp = await pingDockerEngine({ timeoutMs: 3000 });
const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `describe` for tests that need a Docker engine (as in driver-docker's tests): without one, a
 * failing test in CI (engine tests must never pass by not running), elsewhere a named skip.
 */
export function describeEngine(name: string, body: () => void): void {
  if (engineUp) {
    describe(name, () => {
      // Missing or built elsewhere: fail every test at once with the fix, not each in its own way.
      beforeAll(() => assertTestImage(IMAGE, engineAddress()));
      body();
    });
  } else if (inCI) {
    describe(name, () => {
      it('needs a Docker engine', () => {
        throw new Error(
          "CI=true but no Docker engine answers: run 'bash scripts/docker-engine.sh' first",
        );
      });
    });
  } else {
    const reason = 'no Docker engine; run scripts/docker-engine.sh';
    // Printed too: the default reporter shows a skipped suite's count, not its name.
    console.warn(`[@berth/session] skipping "${name}": ${reason}`);
    describe.skip(`${name} [skipped: ${reason}]`, body);
  }
}

/** The testkit's wait, with this package's defaults: it fails naming what it waited for and what it saw last. */
export function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  return kitEventually(what, look, done, { timeoutMs: 10_000, everyMs: 100, ...options });
}

/** A session id of its own per test run, so cleanup never touches anyone else's containers. */
export function sessionId(prefix: string): string {
  return `berth-session-test-${prefix}-${randomBytes(4).toString('hex')}`;
}
