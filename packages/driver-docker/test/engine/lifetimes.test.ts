import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnsupportedFeatureError } from '@berth/core';
import { keeperRunning } from '@berth/core/kit';
import Dockerode from 'dockerode';
import { afterAll, expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, IMAGE, useSession } from '../support/engine.js';

const stateDir = mkdtempSync(join(tmpdir(), 'berth-docker-lifetimes-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
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

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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

    await until('the ttl container stopped', async () => {
      const state = (await docker.getContainer(made.ttl).inspect()).State;
      return !state.Running;
    });
    const finished = new Date((await docker.getContainer(made.ttl).inspect()).State.FinishedAt);
    expect(finished.getTime(), 'not before its end').toBeGreaterThanOrEqual(
      new Date(made.expiresAt).getTime() - 100,
    );
    await until('the idle container removed', async () => !(await exists(made.idle)));
    expect((await driver.getContainer(made.ttl))?.status).toBe('exited');
  }, 60_000);

  it('a keeper that died is replaced by the next driver that gives a container a deadline', async () => {
    await until('a keeper runs', async () => keeperRunning(stateDir));
    const holder = JSON.parse(readFileSync(join(stateDir, 'keeper.lock'), 'utf8')) as {
      pid: number;
    };
    process.kill(holder.pid, 'SIGKILL');
    await until('the keeper is dead', async () => !keeperRunning(stateDir));

    const fresh = new DockerDriver({ stateDir });
    const made = await fresh.createContainer({
      sessionId: session,
      image: IMAGE,
      command: ['sleep', '600'],
      lifetime: { ttlMs: 1500 },
    });
    await fresh.startContainer(made.id);
    await until('a new keeper runs', async () => keeperRunning(stateDir), 5000);
    // Well within the keeper's 10 s between looks: the start itself must wake it.
    await until(
      'the container stopped within 5 s of its start',
      async () => !(await docker.getContainer(made.id).inspect()).State.Running,
      5000,
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
