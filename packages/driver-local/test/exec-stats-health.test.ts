import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, TimeoutError, UnsupportedFeatureError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { containerUid, eventually, makeDriver, processesOf, shell } from './helpers.js';

describe('exec', () => {
  it("runs in the container's working directory, environment, user and cgroup", async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('sleep 300', { env: { ROLE: 'worker' }, workingDir: '/usr' }),
    );
    await driver.startContainer(c.id);
    const result = await driver.exec(c.id, [
      'sh',
      '-c',
      'pwd; echo $ROLE; id -u; cat /proc/self/cgroup',
    ]);
    expect(result.exitCode).toBe(0);
    const [cwd, role, uid, ...cgroups] = result.stdout.trim().split('\n');
    expect(cwd).toBe('/usr');
    expect(role).toBe('worker');
    // An identity of its own, from the driver's range (2 000 000 000 on by default).
    expect(Number(uid)).toBe(containerUid(driver.stateDir, c.id));
    expect(Number(uid)).toBeGreaterThanOrEqual(2_000_000_000);
    expect(cgroups.join('\n')).toContain(c.id);
    expect(result.stderr).toBe('');
  });

  it('takes env, cwd and user overrides and reports the exit code and both streams', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    const result = await driver.exec(
      c.id,
      ['sh', '-c', 'echo "$EXTRA in $(pwd) as $(id -u)"; echo bad >&2; exit 5'],
      { env: { EXTRA: 'extra' }, cwd: '/etc', user: '1000' },
    );
    expect(result).toEqual({ exitCode: 5, stdout: 'extra in /etc as 1000\n', stderr: 'bad\n' });
  });

  it('passes arguments verbatim', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    const result = await driver.exec(c.id, ['printf', '%s|', 'a b', '$(id)', ';', '*']);
    expect(result.stdout).toBe('a b|$(id)|;|*|');
  });

  it('kills the whole exec on timeout', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    const error = await driver
      .exec(c.id, ['sh', '-c', 'sleep 300 & echo $! > /tmp/child; wait'], { timeout: 3000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    const read = await driver.exec(c.id, ['cat', '/tmp/child']);
    expect(read).toMatchObject({ exitCode: 0, stderr: '' });
    const nsPid = Number(read.stdout);
    expect(nsPid).toBeGreaterThan(0);
    // Known by its pid in the container's namespace: nothing of that pid is left on the host.
    const uid = containerUid(driver.stateDir, c.id);
    expect(processesOf(uid).map((p) => p.nsPid)).not.toContain(nsPid);
    expect(processesOf(uid).length).toBeGreaterThan(0);
  });

  it('refuses, under strict enforcement, an exec user this driver cannot switch to', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    // A second driver on the same state, told not to use setpriv, re-attaches to it.
    const weak = await makeDriver({ stateDir: driver.stateDir, isolation: { setpriv: false } });
    await expect(weak.exec(c.id, ['id', '-u'], { user: '1000' })).rejects.toBeInstanceOf(
      UnsupportedFeatureError,
    );
  });

  it('refuses a container that is not running and reports a missing program', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    await expect(driver.exec(c.id, ['true'])).rejects.toBeInstanceOf(ConflictError);
    await driver.startContainer(c.id);
    expect((await driver.exec(c.id, ['no-such-program-berth'])).exitCode).toBe(127);
  });
});

describe('stats', () => {
  it('reads memory, pids and cpu from the cgroup', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('sleep 300 & sleep 300 & while :; do :; done', { resources: { memory: 64, cpu: 0.5 } }),
    );
    await driver.startContainer(c.id);
    const stats = await eventually(
      'stats with 3 pids and some CPU (getContainerStats)',
      () => driver.getContainerStats(c.id),
      (s) => s.pids >= 3 && s.cpuPercent > 0,
    );
    expect(stats.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.memoryBytes).toBeLessThanOrEqual(stats.memoryLimitBytes);
    expect(stats.cpuPercent).toBeGreaterThan(0);
    await driver.stopContainer(c.id, { timeout: 1 });
    expect(await driver.getContainerStats(c.id)).toMatchObject({
      cpuPercent: 0,
      memoryBytes: 0,
      pids: 0,
    });
  });
});

describe('disk', () => {
  it('reports the bytes in its work directory, links not followed, each inode once', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell(
        'dd if=/dev/zero of=blob bs=1024 count=3072 2>/dev/null; ln blob twin; ' +
          'ln -s /usr/bin outside; mkdir -p a/b; echo hi > a/b/note; echo done; sleep 300',
      ),
    );
    await driver.startContainer(c.id);
    // Once the script said it is done: 3 MB on disk can be seen before the note is written.
    await eventually(
      "the script's 'done' (getContainerLogs)",
      () => driver.getContainerLogs(c.id),
      (logs) => logs.includes('done'),
    );
    const stats = await driver.getContainerStats(c.id);
    // blob once (twin is the same inode), the note, and nothing behind the symlink.
    expect(stats.diskBytes).toBe(3 * 1024 * 1024 + 3);
    await driver.stopContainer(c.id, { timeout: 1 });
  });

  it('leaves diskBytes out when the tree is too big to walk on every read', async () => {
    const { treeBytes } = await import('../src/containers/disk-usage.js');
    const dir = await mkdtemp(join(tmpdir(), 'berth-disk-'));
    try {
      for (let i = 0; i < 30; i++) await writeFile(join(dir, `f${i}`), 'x');
      expect(await treeBytes(dir, 100)).toBe(30);
      expect(await treeBytes(dir, 10)).toBeUndefined();
      expect(await treeBytes(join(dir, 'missing'))).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('health checks', () => {
  it('runs the check on its interval and reports healthy', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('sleep 300', {
        healthcheck: { command: ['sh', '-c', 'test -e /proc/self'], intervalMs: 100, retries: 2 },
      }),
    );
    await driver.startContainer(c.id);
    expect((await driver.getContainer(c.id))?.health).toBe('starting');
    await eventually(
      "the container's health 'healthy' (getContainer)",
      () => driver.getContainer(c.id),
      (seen) => seen?.health === 'healthy',
    );
    expect((await driver.getContainer(c.id))?.health).toBe('healthy');
  });

  it('turns unhealthy after the configured retries fail', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('sleep 300', {
        healthcheck: { command: ['false'], intervalMs: 50, retries: 3 },
      }),
    );
    await driver.startContainer(c.id);
    await eventually(
      "driver.getContainer(c.id)?.health === 'unhealthy'",
      () => driver.getContainer(c.id),
      (seen) => seen?.health === 'unhealthy',
    );
    expect(await driver.isContainerHealthy(c.id)).toBe(false);
  });

  it('treats a container without a check as healthy while it runs', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 300'));
    expect(await driver.isContainerHealthy(c.id)).toBe(false);
    await driver.startContainer(c.id);
    expect(await driver.isContainerHealthy(c.id)).toBe(true);
    await driver.stopContainer(c.id, { timeout: 1 });
    expect(await driver.isContainerHealthy(c.id)).toBe(false);
  });
});
