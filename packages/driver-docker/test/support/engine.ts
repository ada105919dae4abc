import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '@berth/core';
import { eventually as kitEventually, type PollOptions } from '@berth/testkit';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTestImage } from '../../../../scripts/test-image.mjs';
import {
  DockerDriver,
  type DockerDriverOptions,
  engineAddress,
  pingDockerEngine,
} from '../../src/index.js';

export const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const address = JSON.stringify(engineAddress());
const engineUp = await pingDockerEngine({ timeoutMs: 3000 });
const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Direct engine access, to check what the driver did without going through the driver. */
export const docker = new Dockerode();

/**
 * `describe` for tests that need a real engine. With none: in CI a failing test (engine tests
 * must never pass by not running), elsewhere a skip whose name says why and what to run.
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
          `CI=true but no Docker engine answers at ${address}: run 'bash scripts/docker-engine.sh' first`,
        );
      });
    });
  } else {
    const reason = `no Docker engine at ${address}; run scripts/docker-engine.sh`;
    // Printed too: the default reporter shows a skipped suite's count, not its name.
    console.warn(`[@berth/driver-docker] skipping "${name}": ${reason}`);
    describe.skip(`${name} [skipped: ${reason}]`, body);
  }
}

/**
 * The testkit's wait, with this package's defaults (15 s, every 100 ms): past the deadline it
 * throws, naming what it waited for and what it saw last; left to the test's own timeout, a
 * failure would say neither (a health check that can never pass used to hang a test for its
 * whole 60 s without a word).
 */
export function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  return kitEventually(what, look, done, { timeoutMs: 15_000, everyMs: 100, ...options });
}

/**
 * A temp directory for the suite (or file) it is called in: its path now, the directory from
 * the suite's first hook on (`setup` fills it then), removed after the suite. Not made while
 * vitest collects the tests: a suite skipped for want of an engine runs no hooks, and a
 * directory made then was left in the temp directory.
 */
export function suiteTempDir(prefix: string, setup: (dir: string) => void = () => {}): string {
  const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString('hex')}`);
  beforeAll(() => {
    mkdirSync(dir, { mode: 0o700 });
    setup(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function sessionId(prefix: string): string {
  return `berth-test-${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * A driver for one test file's session, whose objects are all removed after the file (through
 * the engine's labels, so even containers from a failed assertion go).
 */
export function useSession(
  prefix: string,
  options: DockerDriverOptions = {},
): { driver: DockerDriver; session: string } {
  const session = sessionId(prefix);
  const driver = new DockerDriver(options);
  afterAll(async () => {
    if (engineUp) await driver.cleanup({ sessionId: session });
  });
  return { driver, session };
}

/** A container config with the test image and session, the given command run by `sh -c`. */
export function shell(session: string, script: string, extra: Record<string, unknown> = {}) {
  return { sessionId: session, image: IMAGE, command: ['sh', '-c', script], ...extra };
}

let cases = 0;

/** A label of its own for one refused create, so what it may have left is counted alone. */
export function marker(): Record<string, string> {
  cases += 1;
  return { 'berth-test.case': `${process.pid}-${cases}-${Date.now()}` };
}

/** Containers on the engine carrying the marker, whoever made them. */
export async function containersMarked(labels: Record<string, string>): Promise<number> {
  const [[key, value]] = Object.entries(labels) as [[string, string]];
  const found = await docker.listContainers({ all: true, filters: { label: [`${key}=${value}`] } });
  return found.length;
}

export async function volumeExists(name: string): Promise<boolean> {
  return docker
    .getVolume(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** The ConfigurationError a call rejects with; fails the test if it succeeds or fails otherwise. */
export async function configurationError(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a ConfigurationError, the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}
