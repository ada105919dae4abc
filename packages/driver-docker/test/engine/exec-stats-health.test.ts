import { BerthEvents, TimeoutError, withEvents, wrapDriver } from '@berth/core';
import { expect, it } from 'vitest';
import { describeEngine, eventually, shell, useSession } from '../support/engine.js';

describeEngine('exec, stats and health on a real engine', () => {
  const { driver, session } = useSession('exec');

  it('runs an argument array with env, cwd and user, returning exit code and both streams', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const result = await driver.exec(
      id,
      ['sh', '-c', 'echo "$GREETING from $(pwd) as $(id -u)"; echo oops >&2; exit 3'],
      { env: { GREETING: 'hello' }, cwd: '/tmp', user: '4242' },
    );
    expect(result).toEqual({ exitCode: 3, stdout: 'hello from /tmp as 4242\n', stderr: 'oops\n' });
    // An argument array is never a shell string: metacharacters arrive as plain bytes.
    const literal = await driver.exec(id, ['echo', '$(id -u); rm -rf /']);
    expect(literal).toEqual({ exitCode: 0, stdout: '$(id -u); rm -rf /\n', stderr: '' });
  });

  it('gives up on an exec after its timeout', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const error = await driver.exec(id, ['sleep', '30'], { timeout: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.retryable).toBe(true);
  });

  /** The container's processes running `sleep 30` (the container's own is `sleep 300`). */
  const sleeps = async (id: string) => {
    const ps = await driver.exec(id, ['ps', '-o', 'pid,args']);
    return ps.stdout.split('\n').filter((line) => /\ssleep 30$/.test(line.trim()));
  };

  it("kills an exec's process, and what it started, when its timeout ends it", async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const error = await driver
      .exec(id, ['sh', '-c', 'sleep 30; echo done'], { timeout: 300 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(await sleeps(id)).toEqual([]);
    await driver.stopContainer(id, { force: true });
  });

  it("kills an exec's process when its caller aborts it", async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const controller = new AbortController();
    const pending = driver.exec(id, ['sh', '-c', 'sleep 30'], { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sleeps(id)).toHaveLength(1);
    controller.abort();
    const error = await pending.catch((e) => e);
    expect(error?.name).toBe('AbortError');
    expect(await sleeps(id)).toEqual([]);
    await driver.stopContainer(id, { force: true });
  });

  it('reports cpu, memory, its limit and pids', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'sleep 300 & sleep 300 & while true; do :; done', {
        resources: { cpu: 0.5, memory: 64, pids: 20 },
      }),
    );
    await driver.startContainer(id);
    const stats = await driver.getContainerStats(id);
    expect(stats.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.memoryBytes).toBeLessThan(stats.memoryLimitBytes);
    // init, the shell and its two sleeps.
    expect(stats.pids).toBe(4);
    // Busy-looping under a half-core quota: clearly busy, never above the quota by much.
    expect(stats.cpuPercent).toBeGreaterThan(5);
    expect(stats.cpuPercent).toBeLessThan(80);
    await driver.stopContainer(id, { force: true });
  });

  it("reports the bytes written to the container's writable layer as diskBytes", async () => {
    // The root is read-only by default; only a writable one has a layer to grow.
    const { id } = await driver.createContainer(
      shell(session, 'sleep 300', { security: { readOnly: false } }),
    );
    await driver.startContainer(id);
    const before = await driver.getContainerStats(id);
    const wrote = await driver.exec(id, [
      'dd',
      'if=/dev/zero',
      'of=/tmp/blob',
      'bs=1024',
      'count=3072',
    ]);
    expect(wrote).toMatchObject({ exitCode: 0 });
    const after = await driver.getContainerStats(id);
    expect(before.diskBytes).toBeLessThan(1024 * 1024);
    expect((after.diskBytes ?? 0) - (before.diskBytes ?? 0)).toBeGreaterThanOrEqual(
      3 * 1024 * 1024,
    );
    expect(after.diskBytes).toBeLessThan(4 * 1024 * 1024);
    await driver.stopContainer(id, { force: true });
  });

  it('follows a healthcheck from starting to healthy to unhealthy', async () => {
    const events = new BerthEvents();
    const seen: string[] = [];
    events.on('container:healthy', () => seen.push('healthy'));
    events.on('container:unhealthy', () => seen.push('unhealthy'));
    const wrapped = wrapDriver(driver, withEvents(events));
    const { id } = await wrapped.createContainer(
      shell(session, 'touch /tmp/ok; sleep 300', {
        security: { readOnly: false },
        healthcheck: {
          command: ['test', '-f', '/tmp/ok'],
          intervalMs: 200,
          timeoutMs: 1000,
          retries: 1,
        },
      }),
    );
    expect(await wrapped.isContainerHealthy(id)).toBe(false);
    await wrapped.startContainer(id);

    // A check that can never pass (a /tmp the image's user cannot write) fails here, saying so.
    const until = (want: 'healthy' | 'unhealthy') =>
      eventually(
        `the container to become ${want} (its status, health and exit code)`,
        async () => {
          const c = await wrapped.getContainer(id);
          return { status: c?.status, health: c?.health, exitCode: c?.exitCode };
        },
        (seen) => seen.health === want,
      );
    expect((await until('healthy')).status).toBe('running');
    expect(await wrapped.isContainerHealthy(id)).toBe(true);

    await wrapped.exec(id, ['rm', '/tmp/ok']);
    await until('unhealthy');
    expect(await wrapped.isContainerHealthy(id)).toBe(false);
    expect(seen).toEqual(['unhealthy', 'healthy', 'unhealthy']);
  });

  it('counts a running container without a healthcheck as healthy, a stopped one as not', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    expect(await driver.isContainerHealthy(id)).toBe(true);
    await driver.stopContainer(id, { force: true });
    expect(await driver.isContainerHealthy(id)).toBe(false);
  });
});
