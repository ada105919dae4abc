import { expect, it } from 'vitest';
import { describeEngine, shell, useSession } from '../support/engine.js';

describeEngine('limits the engine really enforces', () => {
  const { driver, session } = useSession('limits');

  it('OOM-kills a memory hog above its limit', async () => {
    // Holding 64 MB in a shell variable under a 16 MB limit (and no swap) must be killed.
    const { id } = await driver.createContainer(
      shell(session, 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived "$x" | wc -c', {
        resources: { memory: 16 },
      }),
    );
    await driver.startContainer(id);
    const result = await driver.waitContainer(id);
    expect(result.oomKilled).toBe(true);
    expect(result.exitCode).toBe(137);
    expect(await driver.getContainerLogs(id)).not.toContain('survived');
  });

  it('stops a fork loop at the pids limit', async () => {
    const { id } = await driver.createContainer(
      shell(
        session,
        'n=0; while [ $n -lt 50 ]; do sleep 60 & n=$((n+1)); echo $n; done; echo all-started',
        {
          resources: { pids: 10 },
        },
      ),
    );
    await driver.startContainer(id);
    const { exitCode } = await driver.waitContainer(id);
    // The shell itself counts against the limit, so fewer than 10 children ever start, and
    // busybox sh gives up at the first fork the kernel refuses.
    expect(exitCode).not.toBe(0);
    const started = (await driver.getContainerLogs(id, { stderr: false })).trim().split('\n');
    expect(started).not.toContain('all-started');
    expect(Number(started.at(-1))).toBeLessThan(10);
    expect(await driver.getContainerLogs(id, { stdout: false })).toMatch(/can't fork/);
  });

  it('fails a write to the read-only root filesystem', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'echo data > /written && echo wrote; echo rc=$?'),
    );
    await driver.startContainer(id);
    await driver.waitContainer(id);
    const logs = await driver.getContainerLogs(id);
    expect(logs).toMatch(/Read-only file system/);
    expect(logs).not.toContain('wrote');
  });

  it('runs as a non-root user by default, without capabilities', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'id -u; id -g; grep CapEff /proc/self/status'),
    );
    await driver.startContainer(id);
    await driver.waitContainer(id);
    const [uid, gid, caps] = (await driver.getContainerLogs(id, { stderr: false }))
      .trim()
      .split('\n');
    expect(uid).toBe('65534');
    expect(gid).toBe('65534');
    expect(caps).toMatch(/CapEff:\s+0+$/);
  });

  it('sets no_new_privs on the process', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'grep NoNewPrivs /proc/self/status'),
    );
    await driver.startContainer(id);
    await driver.waitContainer(id);
    expect(await driver.getContainerLogs(id)).toMatch(/NoNewPrivs:\s+1/);
  });
});
