import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConflictError, type ProcessExit, type ProcessInfo } from '@berth/core';
import { expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, shell, useSession } from '../support/engine.js';

const child = fileURLToPath(new URL('./fixtures/attach-kill-child.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const SETPRIV = '/usr/bin/setpriv';

interface ChildReport {
  found: ProcessInfo | undefined;
  pid: number | undefined;
  bytes: number;
  exit: ProcessExit;
}

/**
 * Attaches and kills from another process, returning its report. `withoutKill`: that process
 * lacks CAP_KILL, so the host refuses it a signal to another user's process.
 */
async function killFromAnotherProcess(
  containerId: string,
  processId: string,
  signal: string,
  withoutKill = false,
): Promise<ChildReport> {
  if (!existsSync(dist)) throw new Error(`build the package first: ${dist} is missing`);
  const command = [process.execPath, child, containerId, processId, signal];
  const [file, ...args] = withoutKill
    ? [SETPRIV, '--bounding-set', '-kill', '--', ...command]
    : command;
  const { stdout } = await promisify(execFile)(file as string, args, { timeout: 30_000 });
  return JSON.parse(stdout) as ChildReport;
}

describeEngine('finding spawned processes again (listProcesses, attach)', () => {
  const { driver, session } = useSession('attach');

  const running = async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 600'));
    await driver.startContainer(id);
    return id;
  };

  it('attaches and kills from a second process, with its own driver', async () => {
    const id = await running();
    const proc = await driver.spawn(id, ['sh', '-c', 'echo hi; exec sleep 613']);
    const report = await killFromAnotherProcess(id, proc.id, 'SIGKILL');
    expect(report.found, 'the other process lists it').toMatchObject({
      id: proc.id,
      running: true,
      command: ['sh', '-c', 'echo hi; exec sleep 613'],
    });
    expect(report.pid, 'and knows its pid').toBe(proc.pid);
    expect(report.bytes, "an attached handle's output ends empty").toBe(0);
    expect(report.exit).toMatchObject({ exitCode: 137, timedOut: false });
    expect(await proc.wait(), "the spawner's handle sees the kill").toMatchObject({
      exitCode: 137,
    });
  });

  it("kills through the container when the host refuses the driver's signal", async (ctx) => {
    if (process.getuid?.() !== 0 || !existsSync(SETPRIV)) {
      ctx.skip('needs root and setpriv, to run a driver the host refuses signals to');
    }
    const id = await running();
    const proc = await driver.spawn(id, ['sleep', '614']);
    // Root without CAP_KILL, as a driver that is neither root nor the process's user: the host
    // refuses the signal (EPERM), so the driver sends it from inside the container instead.
    const report = await killFromAnotherProcess(id, proc.id, 'SIGTERM', true);
    expect(report.exit).toMatchObject({ exitCode: 143 });
    expect((await proc.wait()).exitCode).toBe(143);
  });

  it('gives another instance a handle that waits, whose output is empty', async () => {
    const id = await running();
    const proc = await driver.spawn(id, ['sh', '-c', 'sleep 1; echo done; exit 3']);
    const other = new DockerDriver();
    const again = await other.attach(id, proc.id);
    expect(again.id).toBe(proc.id);
    const [out, exit] = await Promise.all([
      (async () => {
        let bytes = 0;
        for await (const chunk of again.stdout) bytes += chunk.byteLength;
        return bytes;
      })(),
      again.wait(),
    ]);
    expect(out).toBe(0);
    expect(exit).toMatchObject({ exitCode: 3 });
    await expect(again.write('x')).rejects.toBeInstanceOf(ConflictError);
    expect((await proc.wait()).exitCode).toBe(3);
    // Ended: this instance still lists what it attached to, with its exit.
    expect((await other.listProcesses(id)).find((p) => p.id === proc.id)).toMatchObject({
      running: false,
      exitCode: 3,
    });
  });

  it("finds no process that is not one of this container's spawns", async () => {
    const id = await running();
    const elsewhere = await running();
    const proc = await driver.spawn(elsewhere, ['sleep', '615']);
    await expect(driver.attach(id, proc.id), "another container's").rejects.toThrow(/No process/);
    const exec = await docker.getContainer(id).exec({ Cmd: ['sleep', '30'] });
    await exec.start({ Detach: true });
    await expect(driver.attach(id, exec.id), 'an exec Berth did not spawn').rejects.toThrow(
      /No process/,
    );
    await expect(driver.attach(id, 'f'.repeat(64)), 'an unknown one').rejects.toThrow(/No process/);
    await proc.kill();
  });
});
