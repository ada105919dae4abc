/*
 * The breaker against a real Docker engine that goes away and comes back. The engine is a
 * private dockerd started for this file, with its own socket, data and exec roots and its own
 * network namespace (a second dockerd in the host's namespace would reconfigure the host
 * engine's bridge), so stopping it disturbs nothing else. Its containers need no network.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerDriver, engineAddress, pingDockerEngine } from '@berth/driver-docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTestImage } from '../../../scripts/test-image.mjs';
import { CircuitOpenError, RetryError, resilient } from '../src/index.js';

const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const inCI = process.env.CI === 'true' || process.env.CI === '1';

function which(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mainEngine = await pingDockerEngine({ timeoutMs: 3000 });
const missing = !which('dockerd')
  ? 'dockerd is not installed (run scripts/docker-engine.sh)'
  : !which('unshare')
    ? 'unshare (util-linux) is not installed'
    : process.getuid?.() !== 0
      ? 'starting a private dockerd needs root'
      : !mainEngine
        ? 'no Docker engine to copy the test image from (run scripts/docker-engine.sh)'
        : undefined;

// Made by the suite's first hook, not while vitest collects: a skipped suite runs no hooks, and
// a directory made then would be left in the temp directory.
const root = join(tmpdir(), `berth-outage-${randomBytes(6).toString('hex')}`);
const socketPath = join(root, 'docker.sock');
let engine: ChildProcess | undefined;

function startEngine(): ChildProcess {
  // unshare execs dockerd in a fresh network namespace: the child's pid is dockerd's own.
  return spawn(
    'unshare',
    [
      '--net',
      'dockerd',
      `--host=unix://${socketPath}`,
      `--data-root=${join(root, 'data')}`,
      `--exec-root=${join(root, 'exec')}`,
      `--pidfile=${join(root, 'docker.pid')}`,
      '--iptables=false',
      '--ip-masq=false',
    ],
    { stdio: 'ignore' },
  );
}

/** Polls `look` until `done` holds; past 60 s fails with what it waited for and last saw. */
async function waitFor<T>(
  what: string,
  look: () => Promise<T>,
  done: (seen: T) => boolean,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const seen = await look();
    if (done(seen)) return;
    if (Date.now() > deadline) {
      throw new Error(`gave up after 60 s waiting for ${what}; last saw ${JSON.stringify(seen)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const up = () => pingDockerEngine({ dockerHost: `unix://${socketPath}`, timeoutMs: 1000 });

/** Whether the private engine answers, and how its process ended if it has. */
async function engineState() {
  return { answers: await up(), exitCode: engine?.exitCode, signal: engine?.signalCode };
}

async function stopEngine(): Promise<void> {
  const running = engine;
  if (!running || running.exitCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  await exited;
}

const suite = missing && !inCI ? describe.skip : describe;
if (missing && !inCI)
  console.warn(`[@berth/resilience] skipping the Docker outage test: ${missing}`);

suite(`circuit breaker against a Docker engine that goes down${missing && !inCI ? ` [skipped: ${missing}]` : ''}`, () => {
  beforeAll(async () => {
    if (missing) throw new Error(`CI=true but ${missing}`);
    mkdirSync(root, { mode: 0o700 });
    // The private engine gets its image from the main one: it must be the one the script builds.
    await assertTestImage(IMAGE, engineAddress());
    engine = startEngine();
    await waitFor('the private dockerd to answer', engineState, (seen) => seen.answers);
    execFileSync('sh', ['-c', `docker save ${IMAGE} | docker -H unix://${socketPath} load`], {
      stdio: 'ignore',
    });
  }, 90_000);

  afterAll(async () => {
    if (engine && (await up())) {
      execFileSync('sh', [
        '-c',
        `docker -H unix://${socketPath} rm -f $(docker -H unix://${socketPath} ps -aq) 2>/dev/null || true`,
      ]);
    }
    await stopEngine();
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('opens while the engine is down, closes when it is back, and creates nothing twice', async () => {
    const session = `berth-outage-${process.pid}`;
    const driver = resilient(new DockerDriver({ socketPath }), {
      retry: { retries: 2, minTimeoutMs: 50 },
      breaker: { failureThreshold: 3, rollingWindowMs: 60_000, resetTimeoutMs: 1_000 },
    });
    const transitions: string[] = [];
    for (const event of ['open', 'halfOpen', 'close'] as const) {
      driver.circuit.on(event, () => transitions.push(event));
    }
    const config = { sessionId: session, image: IMAGE, command: ['sleep', '600'] };
    try {
      const before = await driver.createContainer(config);
      await driver.startContainer(before.id);

      await stopEngine();
      // Three attempts (a call and its two retries) meet a dead socket: the threshold.
      const firstFailure = await driver.listContainers({ sessionId: session }).catch((e) => e);
      expect(firstFailure).toBeInstanceOf(RetryError);
      expect(firstFailure.cause).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
      expect(driver.circuit.state).toBe('open');
      const duringOutage = await driver.listContainers({ sessionId: session }).catch((e) => e);
      expect(duringOutage).toBeInstanceOf(CircuitOpenError);
      const refused = await driver.createContainer(config).catch((e) => e);
      expect(refused).toBeInstanceOf(CircuitOpenError);

      engine = startEngine();
      await waitFor('the private dockerd to answer again', engineState, (seen) => seen.answers);
      await waitFor(
        'the circuit to half-open (its state)',
        async () => driver.circuit.state,
        (state) => state === 'halfOpen',
      );
      const after = await driver.createContainer(config);
      expect(driver.circuit.state).toBe('closed');
      expect(transitions).toEqual(['open', 'halfOpen', 'close']);

      const listed = await driver.listContainers({ sessionId: session });
      expect(listed.map((c) => c.id).sort()).toEqual([before.id, after.id].sort());
    } finally {
      driver.shutdown();
    }
  }, 120_000);
});
