import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ContainerDriver } from '@berth/core';
import { DockerDriver } from '@berth/driver-docker';
import { LocalDriver } from '@berth/driver-local';
import { afterAll, describe, expect, it } from 'vitest';
import { type Session, SessionEvents, SessionManager, type SessionSpec } from '../src/index.js';
import { describeEngine, eventually, IMAGE } from './support/engine.js';

/*
 * A three-service session on real backends: a database-like service with a health check, a
 * service depending on it, a worker. Started in order, attached to and ended from another
 * process, and nothing left on the engine or on disk.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * `shares`: the db writes into the shared volume and the api reads it. On Docker a fresh named
 * volume is root's, which the default user (65534) cannot write, so there the db only checks it.
 */
function spec(id: string, shares: boolean): SessionSpec {
  const long = ['sh', '-c', 'sleep 600'];
  return {
    id,
    services: {
      db: {
        config: {
          image: IMAGE,
          command: ['sh', '-c', shares ? 'echo up > /data/ready; sleep 600' : 'sleep 600'],
          healthcheck: {
            command: ['sh', '-c', shares ? 'test -f /data/ready' : 'test -d /data'],
            intervalMs: 300,
            retries: 20,
          },
          volumes: [{ source: 'data', target: '/data' }],
          network: 'backend',
        },
      },
      api: {
        config: {
          image: IMAGE,
          command: ['sh', '-c', shares ? 'cat /data/ready; sleep 600' : 'ls -d /data; sleep 600'],
          volumes: [{ source: 'data', target: '/data', readOnly: true }],
          network: 'backend',
        },
        dependsOn: ['db'],
      },
      worker: { config: { image: IMAGE, command: long } },
    },
    volumes: { data: {} },
    networks: { backend: {} },
  };
}

/** A GET of the Engine API on the default socket: what the engine holds, not what a driver says. */
function engineGet<T>(path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: '/var/run/docker.sock', path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T));
    });
    req.on('error', reject);
    req.end();
  });
}

function enginePost(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: '/var/run/docker.sock', path, method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode && res.statusCode < 300
          ? resolve()
          : reject(new Error(`${path}: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function labelled(path: string, id: string): string {
  const filters = encodeURIComponent(JSON.stringify({ label: [`berth.session=${id}`] }));
  return `${path}${path.includes('?') ? '&' : '?'}filters=${filters}`;
}

/** Ends the session from a fresh node process, as another service instance would. */
async function endFromAnotherProcess(driverModule: string, driverExpr: string, id: string) {
  const script = join(here, `.attach-${id}.mjs`);
  writeFileSync(
    script,
    `import { SessionManager } from '../dist/index.js';
import * as drivers from '${driverModule}';
const driver = ${driverExpr};
const session = await new SessionManager(driver).attach(${JSON.stringify(id)});
console.log(JSON.stringify(Object.keys(session.services).sort()));
await session.end();
await driver.close();
`,
  );
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: here });
    return JSON.parse(stdout.trim()) as string[];
  } finally {
    rmSync(script, { force: true });
  }
}

function logsOf(driver: ContainerDriver, id: string, want: string): Promise<string> {
  return eventually(
    `${id}'s logs to be ${JSON.stringify(want)}`,
    () => driver.getContainerLogs(id),
    (logs) => logs === want,
    { timeoutMs: 5000 },
  );
}

/**
 * The session watches itself; its worker is killed behind the driver's back and recovery
 * starts it again. The watch is stopped afterwards, so another process can end the session.
 */
async function killedWorkerComesBack(
  session: Session,
  kill: (containerId: string) => Promise<void>,
): Promise<void> {
  const worker = session.containerOf('worker');
  const { monitor, recovery, events } = session.watch({
    intervalMs: 200,
    // Generous: engine calls slow down while other suites run on the same engine.
    timeoutMs: 10_000,
    backoff: { initialMs: 100, factor: 2, maxMs: 1000 },
  });
  // Killed only once the monitor has seen it up: a first sight of it dead is no death.
  await events.waitFor('container:healthy', {
    signal: AbortSignal.timeout(20_000),
    filter: (e) => e.containerId === worker,
  });
  const before = (await session.driver.getContainer(worker))?.startedAt?.getTime() ?? 0;
  const restarted = new Promise<void>((resolve) => {
    events.on('container:restarted', (e) => {
      if (e.containerId === worker) resolve();
    });
  });
  const died = new Promise<void>((resolve) => {
    events.on('container:died', (e) => {
      if (e.containerId === worker) resolve();
    });
  });
  await kill(worker);
  await died;
  await restarted;
  const after = await session.driver.getContainer(worker);
  expect(after?.status).toBe('running');
  expect(after?.startedAt?.getTime() ?? 0).toBeGreaterThan(before);
  recovery.stop();
  await monitor.stop();
}

async function runSession(driver: ContainerDriver, id: string, shares: boolean) {
  const events = new SessionEvents();
  const order: string[] = [];
  events.on('container:started', (e) => order.push(`started ${e.service}`));
  events.on('container:ready', (e) => order.push(`ready ${e.service}`));
  const session = await new SessionManager(driver, { events }).start(spec(id, shares));
  expect(order.indexOf('started api')).toBeGreaterThan(order.indexOf('ready db'));
  const api = session.containerOf('api');
  const want = shares ? 'up\n' : '/data\n';
  expect(await logsOf(driver, api, want)).toBe(want);
  const running = await driver.listContainers({ sessionId: id, status: 'running' });
  expect(running).toHaveLength(3);
  return session;
}

describe('sessions on the local driver', () => {
  it('start in order, recover a killed worker, and end from another process leaving nothing on disk', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-session-local-'));
    dirs.push(stateDir);
    const driver = new LocalDriver({ stateDir });
    const id = `local-${process.pid}`;
    try {
      const session = await runSession(driver, id, true);
      await killedWorkerComesBack(session, async (worker) => {
        const run = JSON.parse(
          readFileSync(join(stateDir, 'containers', worker, 'run.json'), 'utf8'),
        ) as { pid: number };
        process.kill(run.pid, 'SIGKILL');
      });
      const services = await endFromAnotherProcess(
        '@berth/driver-local',
        `new drivers.LocalDriver({ stateDir: ${JSON.stringify(stateDir)} })`,
        id,
      );
      expect(services).toEqual(['api', 'db', 'worker']);
      expect(await driver.listContainers({ sessionId: id })).toEqual([]);
      expect((await driver.listVolumes()).filter((v) => v.sessionId === id)).toEqual([]);
      expect((await driver.listNetworks()).filter((n) => n.sessionId === id)).toEqual([]);
      const containersDir = join(stateDir, 'containers');
      expect(existsSync(containersDir) ? readdirSync(containersDir) : []).toEqual([]);
    } finally {
      await driver.cleanup({ sessionId: id });
      await driver.close();
    }
  });
});

describeEngine('sessions on the Docker driver', () => {
  it('start in order, recover a killed worker, and end from another process leaving nothing on the engine', async () => {
    const driver = new DockerDriver();
    const id = `docker-${process.pid}`;
    try {
      const session = await runSession(driver, id, false);
      await killedWorkerComesBack(session, (worker) =>
        enginePost(`/containers/${worker}/kill?signal=SIGKILL`),
      );
      const services = await endFromAnotherProcess(
        '@berth/driver-docker',
        'new drivers.DockerDriver()',
        id,
      );
      expect(services).toEqual(['api', 'db', 'worker']);
      expect(await engineGet(labelled('/containers/json?all=1', id))).toEqual([]);
      expect(
        (await engineGet<{ Volumes: unknown[] | null }>(labelled('/volumes', id))).Volumes ?? [],
      ).toEqual([]);
      expect(await engineGet(labelled('/networks', id))).toEqual([]);
    } finally {
      await driver.cleanup({ sessionId: id });
    }
  });
});
