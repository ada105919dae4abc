import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, type ContainerProcess, ProcessNotFoundError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import type { LocalDriver } from '../src/index.js';
import {
  containerUid,
  eventually,
  hostPidOf,
  isAlive,
  makeDriver,
  shell,
  tempDir,
} from './helpers.js';

/*
 * Spawned processes and the container around them: frozen by its pause, ended by its stop, and
 * found again — listed, waited for, killed — by another driver on the same stateDir, in another
 * process, without a reused pid ever being taken for them.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function running(driver: LocalDriver, script = 'sleep 300'): Promise<string> {
  const { id } = await driver.createContainer(shell(script));
  await driver.startContainer(id);
  return id;
}

/** Collects a process's stdout lines as they come. */
function lines(proc: ContainerProcess): string[] {
  const seen: string[] = [];
  void (async () => {
    let rest = '';
    for await (const chunk of proc.stdout) {
      rest += Buffer.from(chunk).toString();
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      seen.push(...parts);
    }
  })();
  return seen;
}

/** The host pid of a spawned program, once it runs as the container's user. */
function hostPid(driver: LocalDriver, id: string, proc: { pid?: number | undefined }) {
  const uid = containerUid(driver.stateDir, id);
  return hostPidOf(uid, proc.pid as number);
}

describe('pause', () => {
  it('freezes a spawned process with the container, and refuses to spawn until resumed', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const counter = await driver.spawn(id, [
      'sh',
      '-c',
      'i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done',
    ]);
    const seen = lines(counter);
    await eventually(
      'three lines from the counter',
      () => seen,
      (now) => now.length >= 3,
    );
    await driver.pauseContainer(id);
    // A line already on its way may still land.
    await sleep(200);
    const frozen = seen.length;
    await sleep(700);
    expect(seen.length, 'nothing printed while paused').toBe(frozen);
    const refused = await driver.spawn(id, ['true']).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toMatch(/paused: resume it/);
    await driver.resumeContainer(id);
    await eventually(
      'three more lines from the counter after resume',
      () => seen,
      (now) => now.length >= frozen + 3,
    );
    await counter.kill();
    expect((await counter.wait()).exitCode).toBe(137);
  });
});

describe('stop', () => {
  it("ends the container's spawned processes, each getting SIGTERM itself first", async () => {
    const driver = await makeDriver();
    // The main program outlives the SIGTERM a little, so the processes handle it themselves.
    const id = await running(driver, "trap 'sleep 0.5; exit 0' TERM; while :; do sleep 0.1; done");
    const handling = await driver.spawn(id, [
      'sh',
      '-c',
      "trap 'echo term; exit 0' TERM; echo ready; while :; do sleep 0.1; done",
    ]);
    const ignoring = await driver.spawn(id, ['sh', '-c', "trap '' TERM; exec sleep 600"]);
    const seen = lines(handling);
    await eventually(
      "the handling process prints 'ready' (its lines)",
      () => seen,
      (now) => now.includes('ready'),
    );
    const pids = [await hostPid(driver, id, handling), await hostPid(driver, id, ignoring)];
    await driver.stopContainer(id, { timeout: 5 });
    // Its own exit status, not that of nsenter's parent dying of the SIGTERM meant for it.
    expect(await handling.wait()).toMatchObject({ exitCode: 0 });
    expect(seen).toContain('term');
    expect(await ignoring.wait()).toMatchObject({ exitCode: 137 });
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const listed = await driver.listProcesses(id);
    expect(listed.map((p) => p.running)).toEqual([false, false]);
    await expect(driver.spawn(id, ['true'])).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('records', () => {
  it('keeps the latest 100 ended processes and every running one', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const long = await driver.spawn(id, ['sleep', '600']);
    for (let i = 0; i < 105; i++) await (await driver.spawn(id, ['true'])).wait();
    const listed = await driver.listProcesses(id);
    expect(listed.filter((p) => !p.running)).toHaveLength(100);
    expect(listed.find((p) => p.id === long.id)).toMatchObject({ running: true });
    await long.kill();
  });
});

/** Starts the owner fixture and reads what it reports, line by line. */
function owner(stateDir: string): { child: ChildProcess; next: () => Promise<unknown> } {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'fixtures', 'spawn-owner.mjs'), stateDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const reports: unknown[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) reports.push(JSON.parse(part));
  });
  return {
    child,
    next: async () => {
      await eventually(
        'the next report from the owner (reports waiting)',
        () => reports.length,
        (n) => n > 0,
      );
      return reports.shift();
    },
  };
}

describe('another driver, in another process', () => {
  it('lists, attaches to and kills what the first spawned, which sees the same exit', async () => {
    const stateDir = await tempDir('spawn-owner-');
    // Made first: whatever the owner leaves behind, even failing, is removed after the test.
    const driver = await makeDriver({ stateDir });
    const { child, next } = owner(stateDir);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const ids = (await next()) as Record<string, string | number>;
      expect(ids.error).toBeUndefined();
      expect(ids.first).toBe('started\n');
      const container = ids.container as string;
      const listed = await driver.listProcesses(container);
      expect(listed.find((p) => p.id === ids.watched)).toEqual({
        id: ids.watched,
        containerId: container,
        command: ['sh', '-c', 'echo started; exec sleep 600'],
        running: true,
        pid: ids.pid,
      });
      expect(listed.find((p) => p.id === ids.left)).toMatchObject({ running: true });

      const attached = await driver.attach(container, ids.watched as string);
      expect(attached.pid).toBe(ids.pid);
      let output = '';
      for await (const chunk of attached.stdout) output += Buffer.from(chunk).toString();
      expect(output, 'output stays with the handle that spawned it').toBe('');
      await attached.kill('SIGTERM');
      expect(await attached.wait()).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
      expect(await next()).toEqual({
        exit: expect.objectContaining({ exitCode: 143, signal: 'SIGTERM' }),
      });
      expect((await driver.listProcesses(container)).find((p) => p.id === ids.watched)).toEqual(
        expect.objectContaining({ running: false, exitCode: 143 }),
      );

      // Its owner gone, the one left behind runs on: found, killed, but its status is lost.
      child.kill('SIGKILL');
      await exited;
      const left = (await driver.listProcesses(container)).find((p) => p.id === ids.left);
      expect(left).toMatchObject({ running: true });
      const pid = await hostPid(driver, container, left as { pid: number });
      const again = await driver.attach(container, ids.left as string);
      await again.kill('SIGKILL');
      expect((await again.wait()).exitCode, 'nobody saw how it ended').toBe(255);
      expect(isAlive(pid)).toBe(false);
      const after = (await driver.listProcesses(container)).find((p) => p.id === ids.left);
      expect(after).toEqual(expect.objectContaining({ running: false }));
      expect(after?.exitCode).toBeUndefined();
      await expect(driver.attach(container, '1-2')).rejects.toBeInstanceOf(ProcessNotFoundError);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('never signals a process whose pid was reused', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const proc = await driver.spawn(id, ['sleep', '600']);
    // Start times count in clock ticks (10 ms): started in the same tick, the stranger would
    // be indistinguishable from the process, which is not the case this test is about.
    await sleep(50);
    // A stranger outside every container, given the pids the record names.
    const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      const dir = join(driver.stateDir, 'containers', id, 'processes');
      const [file] = readdirSync(dir).filter((name) => name.endsWith('.json'));
      const path = join(dir, file as string);
      const renamed = JSON.stringify(JSON.parse(readFileSync(path, 'utf8')), (key, value) =>
        key === 'pid' ? stranger.pid : value,
      );
      writeFileSync(path, renamed);
      const other = await makeDriver({ stateDir: driver.stateDir });
      const [listed] = await other.listProcesses(id);
      expect(listed?.running, 'a pid of another start time is not that process').toBe(false);
      const attached = await other.attach(id, proc.id);
      await attached.kill('SIGKILL');
      await sleep(200);
      expect(isAlive(stranger.pid as number), 'the stranger was not signalled').toBe(true);
    } finally {
      stranger.kill('SIGKILL');
      await proc.kill();
    }
  });
});
