import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containerUid,
  eventually,
  isAlive,
  makeDriver,
  processesOf,
  shell,
  tempDir,
} from './helpers.js';

async function runRecord(
  stateDir: string,
  id: string,
): Promise<{ pid: number; meta: { cgroup?: { dirs: Record<string, string> } } }> {
  return JSON.parse(await readFile(join(stateDir, 'containers', id, 'run.json'), 'utf8'));
}

/** Pids the container printed, one per line. */
async function printedPids(
  driver: Awaited<ReturnType<typeof makeDriver>>,
  id: string,
  count: number,
) {
  return eventually(
    `the container to print ${count} pids (the pids printed)`,
    async () => (await driver.getContainerLogs(id)).split('\n').filter(Boolean).map(Number),
    (pids) => pids.length >= count,
  );
}

describe('stop', () => {
  it('lets a program shut down cleanly on SIGTERM and keeps its exit status', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('trap "echo terminating; exit 42" TERM; echo ready; sleep 300 & wait'),
    );
    await driver.startContainer(c.id);
    await eventually(
      "driver.getContainerLogs(c.id).includes('ready')",
      () => driver.getContainerLogs(c.id),
      (seen) => seen.includes('ready'),
    );
    await driver.stopContainer(c.id, { timeout: 20 });
    const stopped = await driver.getContainer(c.id);
    expect(stopped).toMatchObject({ status: 'stopped', exitCode: 42 });
    expect(await driver.getContainerLogs(c.id)).toBe('ready\nterminating\n');
  });

  it('kills with SIGKILL after the timeout when SIGTERM is ignored', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('trap "" TERM; echo ready; while :; do sleep 0.05; done'),
    );
    await driver.startContainer(c.id);
    await eventually(
      "driver.getContainerLogs(c.id).includes('ready')",
      () => driver.getContainerLogs(c.id),
      (seen) => seen.includes('ready'),
    );
    await driver.stopContainer(c.id, { timeout: 1 });
    expect(await driver.getContainer(c.id)).toMatchObject({ status: 'stopped', exitCode: 137 });
  });

  it('leaves no orphan grandchildren, even ones that started their own session', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell(
        'sleep 300 & echo $!; setsid sleep 300 & echo $!; sh -c "sleep 300 & echo \\$!; wait" & sleep 0.1; wait',
      ),
    );
    await driver.startContainer(c.id);
    // Printed inside its own pid namespace; its identity of its own finds them on the host.
    const nsPids = await printedPids(driver, c.id, 3);
    const uid = containerUid(driver.stateDir, c.id);
    const live = () => processesOf(uid).map((p) => p.nsPid);
    for (const pid of nsPids) expect(live()).toContain(pid);
    await driver.stopContainer(c.id, { timeout: 2 });
    expect(processesOf(uid)).toEqual([]);
  });

  it('kills what the main process left behind when it exits by itself', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300 & echo $!; exit 0'));
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    await printedPids(driver, c.id, 1);
    // Nothing runs as its identity any more: the sleep went with the pid namespace's init.
    await eventually(
      'processesOf(containerUid(driver.stateDir, c.id)).length === 0',
      () => processesOf(containerUid(driver.stateDir, c.id)),
      (seen) => seen.length === 0,
    );
    expect((await driver.getContainer(c.id))?.status).toBe('exited');
  });

  it('removes the cgroup once the container is gone', async () => {
    const driver = await makeDriver();
    const caps = await driver.capabilities();
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    const { meta } = await runRecord(driver.stateDir, c.id);
    if (caps.pids) expect(meta.cgroup).toBeDefined();
    await driver.removeContainer(c.id, { force: true });
    for (const dir of Object.values(meta.cgroup?.dirs ?? {})) {
      await expect(readFile(join(dir, 'cgroup.procs'))).rejects.toThrow();
    }
  });
});

describe('a lost supervisor', () => {
  it('leaves the container running and stoppable, recorded by the signal that ended it', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    const run = JSON.parse(
      await readFile(join(driver.stateDir, 'containers', c.id, 'run.json'), 'utf8'),
    ) as { pid: number; supervisorPid: number };
    process.kill(run.supervisorPid, 'SIGKILL');
    await eventually(
      '!isAlive(run.supervisorPid)',
      () => isAlive(run.supervisorPid),
      (seen) => !seen,
    );
    expect((await driver.getContainer(c.id))?.status).toBe('running');
    await driver.stopContainer(c.id, { timeout: 1 });
    expect(await driver.getContainer(c.id)).toMatchObject({ status: 'stopped', exitCode: 143 });
    expect(isAlive(run.pid)).toBe(false);
  });

  it('is dead when its process is gone too', async () => {
    const driver = await makeDriver({
      isolation: { bubblewrap: false },
      enforcement: 'best-effort',
    });
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    const run = JSON.parse(
      await readFile(join(driver.stateDir, 'containers', c.id, 'run.json'), 'utf8'),
    ) as { pid: number; supervisorPid: number };
    process.kill(run.supervisorPid, 'SIGKILL');
    process.kill(-run.pid, 'SIGKILL');
    // Both must be gone: a supervisor SIGKILLed a moment ago may still be exiting, and while it
    // is there the container is rightly still running.
    await eventually(
      'the program and its supervisor gone (which are alive)',
      () => ({ program: isAlive(run.pid), supervisor: isAlive(run.supervisorPid) }),
      (alive) => !alive.program && !alive.supervisor,
    );
    expect(await driver.getContainer(c.id)).toMatchObject({ status: 'dead', state: 'error' });
    expect(await driver.waitContainer(c.id)).toEqual({ exitCode: 255, oomKilled: false });
  });
});

describe('re-attach', () => {
  it('a new driver lists, stops and reads the logs of containers whose creator was SIGKILLed', async () => {
    const stateDir = await tempDir('reattach-');
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures', 'reattach-child.mjs'), stateDir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const ids = await new Promise<{ long: string; late: string }>((resolve, reject) => {
      let buffer = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (buffer.includes('\n')) resolve(JSON.parse(buffer));
      });
      child.once('exit', () => reject(new Error('the child driver exited before reporting')));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const driver = await makeDriver({ stateDir });
    const listed = await driver.listContainers({ sessionId: 'reattach' });
    expect(listed.map((c) => c.name).sort()).toEqual(['late', 'long']);
    expect((await driver.getContainer(ids.long))?.status).toBe('running');

    // Ended after its creator died: the supervisor still recorded how.
    expect(await driver.waitContainer(ids.late)).toEqual({ exitCode: 7, oomKilled: false });
    expect(await driver.getContainerLogs(ids.late)).toBe('late\n');
    expect((await driver.getContainer(ids.late))?.status).toBe('exited');

    const { pid } = await runRecord(stateDir, ids.long);
    await driver.stopContainer(ids.long, { timeout: 5 });
    expect((await driver.getContainer(ids.long))?.status).toBe('stopped');
    expect(isAlive(pid)).toBe(false);
    expect(await driver.getContainerLogs(ids.long)).toBe('before\n');
  });

  it('a new driver deletes the trash a killed driver left half-removed', async () => {
    const stateDir = await tempDir('trash-');
    const first = await makeDriver({ stateDir });
    const c = await first.createContainer(shell('echo left; mkdir -p deep/er; echo x > deep/er/f'));
    await first.startContainer(c.id);
    await first.waitContainer(c.id);
    // What removeContainer does before it deletes in the background: the driver died here.
    const trashed = join(stateDir, 'trash', `${c.id}.0badf00d`);
    await rename(join(stateDir, 'containers', c.id), trashed);
    await mkdir(join(stateDir, 'trash', 'other', 'nested'), { recursive: true });
    await writeFile(join(stateDir, 'trash', 'other', 'nested', 'file'), 'data');
    expect((await readdir(join(stateDir, 'trash'))).sort()).toEqual(
      [`${c.id}.0badf00d`, 'other'].sort(),
    );

    const second = await makeDriver({ stateDir });
    expect(await second.getContainer(c.id)).toBeNull();
    expect(await second.listContainers()).toEqual([]);
    await second.close();
    expect(await readdir(join(stateDir, 'trash'))).toEqual([]);
  });

  it('removal hides the container at once and leaves no trash behind', async () => {
    const stateDir = await tempDir('remove-');
    const driver = await makeDriver({ stateDir });
    const c = await driver.createContainer(shell('echo hi'));
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    await driver.removeContainer(c.id);
    expect(await driver.getContainer(c.id)).toBeNull();
    expect(await driver.listContainers()).toEqual([]);
    expect(await readdir(join(stateDir, 'containers'))).toEqual([]);
    await driver.close();
    expect(await readdir(join(stateDir, 'trash'))).toEqual([]);
  });

  it('removes in place when the trash directory has gone missing', async () => {
    const stateDir = await tempDir('notrash-');
    const driver = await makeDriver({ stateDir });
    const c = await driver.createContainer(shell('echo hi'));
    await rm(join(stateDir, 'trash'), { recursive: true });
    await driver.removeContainer(c.id);
    expect(await driver.getContainer(c.id)).toBeNull();
    expect(await readdir(join(stateDir, 'containers'))).toEqual([]);
  });
});
