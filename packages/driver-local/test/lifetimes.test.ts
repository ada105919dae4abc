import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keeperRunning } from '@berth/core/kit';
import { expect, it } from 'vitest';
import { eventually, makeDriver, tempDir } from './helpers.js';

const slow = { timeoutMs: 15_000, everyMs: 100 };

it('stops and removes on time after the creating process was SIGKILLed', async () => {
  const stateDir = await tempDir('lifetimes-');
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures', 'lifetime-creator.mjs'), stateDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const made = await new Promise<{ ttl: string; expiresAt: string; idle: string }>(
    (resolve, reject) => {
      let buffer = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (buffer.includes('\n')) resolve(JSON.parse(buffer));
      });
      child.once('exit', () => reject(new Error('the creator exited before reporting')));
    },
  );
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const keeperDir = join(stateDir, 'keeper');
  await eventually(
    'a keeper to run, not the creator (keeperRunning)',
    () => keeperRunning(keeperDir),
    (up) => up,
    { timeoutMs: 5000 },
  );

  const driver = await makeDriver({ stateDir, warmSandboxes: 0 });
  const before = await driver.getContainer(made.ttl);
  expect(before?.status).toBe('running');
  await eventually(
    'the ttl container to stop (its status)',
    async () => (await driver.getContainer(made.ttl))?.status,
    (status) => status === 'stopped',
    slow,
  );
  const after = await driver.getContainer(made.ttl);
  expect(after?.finishedAt?.getTime(), 'not before its end').toBeGreaterThanOrEqual(
    new Date(made.expiresAt).getTime() - 100,
  );
  await eventually(
    'the idle container to be removed (getContainer)',
    () => driver.getContainer(made.idle),
    (c) => c === null,
    slow,
  );
}, 60_000);

it('a keeper that died is replaced by the next driver that gives a container a deadline', async () => {
  const stateDir = await tempDir('lifetimes-');
  const keeperDir = join(stateDir, 'keeper');
  const driver = await makeDriver({ stateDir, warmSandboxes: 0 });
  const first = await driver.createContainer({
    sessionId: 'lifetimes',
    image: 'host',
    command: ['sleep', '300'],
    lifetime: { ttlMs: 60_000 },
  });
  await driver.startContainer(first.id);
  await eventually(
    'a keeper to run (keeperRunning)',
    () => keeperRunning(keeperDir),
    (up) => up,
    slow,
  );
  const holder = JSON.parse(readFileSync(join(keeperDir, 'keeper.lock'), 'utf8')) as {
    pid: number;
  };
  process.kill(holder.pid, 'SIGKILL');
  await eventually(
    'the keeper to be dead (keeperRunning)',
    () => keeperRunning(keeperDir),
    (up) => !up,
    slow,
  );

  const second = await makeDriver({ stateDir, warmSandboxes: 0 });
  // Any call that gives a deadline brings a keeper back: here an extension.
  await second.extendTtl(first.id, 1000);
  await eventually(
    'a new keeper to run (keeperRunning)',
    () => keeperRunning(keeperDir),
    (up) => up,
    { timeoutMs: 5000 },
  );
  const made = await second.createContainer({
    sessionId: 'lifetimes',
    image: 'host',
    command: ['sleep', '300'],
    lifetime: { ttlMs: 1500 },
  });
  await second.startContainer(made.id);
  // Well within the keeper's 10 s between looks: the start itself must wake it.
  await eventually(
    'the new one to stop within 5 s of its start (its status)',
    async () => (await second.getContainer(made.id))?.status,
    (status) => status === 'stopped',
    { timeoutMs: 5000 },
  );
  expect((await second.getContainer(first.id))?.status, 'the extended one runs on').toBe('running');
}, 60_000);
