import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnsupportedFeatureError } from '@berth/core';
import { keeperRunning } from '@berth/core/kit';
import Dockerode from 'dockerode';
import { expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import {
  describeEngine,
  docker,
  eventually,
  IMAGE,
  suiteTempDir,
  useSession,
} from '../support/engine.js';

const stateDir = suiteTempDir('berth-docker-lifetimes-');
const built = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// The creating process: makes two containers with lifetimes, reports them, then waits to die.
const CREATOR = `
import { DockerDriver } from ${JSON.stringify(built)};
const driver = new DockerDriver({ stateDir: process.env.STATE_DIR });
const base = { sessionId: process.env.SESSION, image: process.env.IMAGE, command: ['sleep', '600'] };
const ttl = await driver.createContainer({ ...base, lifetime: { ttlMs: 2500 } });
const idle = await driver.createContainer({ ...base, lifetime: { idleTimeoutMs: 1500, onExpiry: 'remove' } });
await driver.startContainer(ttl.id);
await driver.startContainer(idle.id);
console.log(JSON.stringify({ ttl: ttl.id, expiresAt: ttl.lifetime.expiresAt, idle: idle.id }));
setInterval(() => {}, 1000);
`;

const exists = (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );

describeEngine('Docker driver: lifetimes outlive the process that made them', () => {
  const { driver, session } = useSession('lifetimes', { stateDir });

  it('stops and removes on time after the creating process was SIGKILLed', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CREATOR], {
      env: { ...process.env, STATE_DIR: stateDir, SESSION: session, IMAGE },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
      child.on('exit', (code) =>
        reject(new Error(`the creator exited (${code}) before reporting`)),
      );
    });
    const made = JSON.parse(line) as { ttl: string; expiresAt: string; idle: string };
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(keeperRunning(stateDir), 'a keeper runs, not the creator').toBe(true);

    await eventually(
      'the ttl container to stop (its engine state)',
      async () => (await docker.getContainer(made.ttl).inspect()).State.Status,
      (status) => status !== 'running',
    );
    const finished = new Date((await docker.getContainer(made.ttl).inspect()).State.FinishedAt);
    expect(finished.getTime(), 'not before its end').toBeGreaterThanOrEqual(
      new Date(made.expiresAt).getTime() - 100,
    );
    await eventually(
      'the idle container to be removed (exists)',
      () => exists(made.idle),
      (there) => !there,
    );
    expect((await driver.getContainer(made.ttl))?.status).toBe('exited');
  }, 60_000);

  it('a keeper that died is replaced by the next driver that gives a container a deadline', async () => {
    await eventually(
      'a keeper to run (keeperRunning)',
      () => keeperRunning(stateDir),
      (up) => up,
    );
    const holder = JSON.parse(readFileSync(join(stateDir, 'keeper.lock'), 'utf8')) as {
      pid: number;
    };
    process.kill(holder.pid, 'SIGKILL');
    await eventually(
      'the keeper to be dead (keeperRunning)',
      () => keeperRunning(stateDir),
      (up) => !up,
    );

    const fresh = new DockerDriver({ stateDir });
    const made = await fresh.createContainer({
      sessionId: session,
      image: IMAGE,
      command: ['sleep', '600'],
      lifetime: { ttlMs: 1500 },
    });
    await fresh.startContainer(made.id);
    await eventually(
      'a new keeper to run (keeperRunning)',
      () => keeperRunning(stateDir),
      (up) => up,
      { timeoutMs: 5000 },
    );
    // Well within the keeper's 10 s between looks: the start itself must wake it.
    await eventually(
      'the container to stop within 5 s of its start (its engine state)',
      async () => (await docker.getContainer(made.id).inspect()).State.Status,
      (status) => status !== 'running',
      { timeoutMs: 5000 },
    );
    await fresh.close();
  }, 60_000);

  it('with a ready client the keeper cannot reconnect: lifetimes are refused, or listed unenforced', async () => {
    const ready = new DockerDriver({ docker: new Dockerode() });
    expect((await ready.capabilities()).lifetimes).toBe(false);
    const config = {
      sessionId: session,
      image: IMAGE,
      command: ['sleep', '600'],
      lifetime: { ttlMs: 60_000 },
    };
    const refused = await ready.createContainer(config).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(UnsupportedFeatureError);
    expect(String((refused as Error).message)).toMatch(/lifetime/);
    const weak = new DockerDriver({ docker: new Dockerode(), enforcement: 'best-effort' });
    const made = await weak.createContainer(config);
    expect(made.unenforced?.map((u) => u.feature)).toContain('lifetimes');
    expect(made.lifetime, 'no lifetime claimed').toBeUndefined();
    await weak.removeContainer(made.id, { force: true });
  });
});
