import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, VolumeNotFoundError, VolumeRemoveError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { makeDriver, shell, tempDir } from './helpers.js';

async function issuesOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigurationError);
  return (error as ConfigurationError).issues.map((i) => i.path.join('.'));
}

describe('volumes and bind mounts', () => {
  it('keeps named volumes as directories under the state dir, shared between containers', async () => {
    const driver = await makeDriver();
    const volume = await driver.createVolume({
      name: 'shared',
      sessionId: 'test',
      labels: { a: 'b' },
    });
    expect(volume).toMatchObject({
      id: 'shared',
      name: 'shared',
      driver: 'local',
      labels: { a: 'b' },
    });
    expect(volume.mountpoint).toBe(join(driver.stateDir, 'volumes', 'shared', 'data'));
    expect(await driver.createVolume({ name: 'shared', sessionId: 'test' })).toMatchObject({
      id: 'shared',
    });
    // The name is taken: another session (or none) asking for it gets a conflict, not this one.
    await expect(driver.createVolume({ name: 'shared', sessionId: 'other' })).rejects.toMatchObject(
      { code: 'CONFLICT' },
    );
    await expect(driver.createVolume({ name: 'shared' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });

    const writer = await driver.createContainer(
      shell('echo persisted > /data/file', { volumes: [{ source: 'shared', target: '/data' }] }),
    );
    await driver.startContainer(writer.id);
    expect((await driver.waitContainer(writer.id)).exitCode).toBe(0);
    expect(await readFile(join(volume.mountpoint as string, 'file'), 'utf8')).toBe('persisted\n');

    const reader = await driver.createContainer(
      shell('cat /mnt/shared/file; echo x > /mnt/shared/other', {
        volumes: [{ source: 'shared', target: '/mnt/shared', readOnly: true }],
      }),
    );
    await driver.startContainer(reader.id);
    expect((await driver.waitContainer(reader.id)).exitCode).not.toBe(0);
    expect(await driver.getContainerLogs(reader.id, { stderr: false })).toBe('persisted\n');
    expect(await driver.getContainerLogs(reader.id, { stdout: false })).toMatch(/Read-only/);

    expect((await driver.listVolumes()).map((v) => v.name)).toEqual(['shared']);
    await driver.removeVolume('shared');
    expect(await driver.listVolumes()).toEqual([]);
    await expect(driver.removeVolume('shared')).rejects.toBeInstanceOf(VolumeNotFoundError);
  });

  it("is shared by its session's containers: each writes, reads the others', changes only its own", async () => {
    const driver = await makeDriver();
    const volume = await driver.createVolume({ name: 'team', sessionId: 'test' });
    const data = statSync(volume.mountpoint as string);
    // A group of its own, set-group-id, and no access for anyone else.
    expect(data.mode & 0o7777).toBe(0o2770);
    expect([data.uid, data.gid >= 2_000_000_000]).toEqual([0, true]);
    const run = async (script: string) => {
      const c = await driver.createContainer(
        shell(script, { volumes: [{ source: 'team', target: '/data' }] }),
      );
      await driver.startContainer(c.id);
      await driver.waitContainer(c.id);
      return driver.getContainerLogs(c.id);
    };
    expect(await run('echo one > /data/a && echo wrote a')).toBe('wrote a\n');
    expect(
      await run(
        'echo two > /data/b && echo wrote b; cat /data/a; (echo changed >> /data/a) 2>/dev/null || echo a is not mine',
      ),
    ).toBe('wrote b\none\na is not mine\n');
    expect(await readFile(join(volume.mountpoint as string, 'b'), 'utf8')).toBe('two\n');
    // What they made belongs to the volume's group.
    expect(statSync(join(volume.mountpoint as string, 'b')).gid).toBe(data.gid);
  });

  it('refuses to remove a volume a running container uses', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('sleep 300', { volumes: [{ source: 'busy', target: '/data' }] }),
    );
    await driver.startContainer(c.id);
    await expect(driver.removeVolume('busy')).rejects.toBeInstanceOf(VolumeRemoveError);
  });

  it('bind-mounts sources inside the allowed roots', async () => {
    const root = await tempDir('root-');
    await mkdir(join(root, 'project'), { mode: 0o777 });
    await chmod(join(root, 'project'), 0o777);
    await writeFile(join(root, 'project', 'input.txt'), 'from host\n');
    const driver = await makeDriver({ allowedRoots: [root] });
    const c = await driver.createContainer(
      shell('cat /work/input.txt; echo out > /work/output.txt', {
        volumes: [{ type: 'bind', source: join(root, 'project'), target: '/work' }],
      }),
    );
    await driver.startContainer(c.id);
    expect((await driver.waitContainer(c.id)).exitCode).toBe(0);
    expect(await driver.getContainerLogs(c.id)).toBe('from host\n');
    expect(await readFile(join(root, 'project', 'output.txt'), 'utf8')).toBe('out\n');
  });

  it('rejects bind sources outside the allowed roots, through .. or through a symlink', async () => {
    const root = await tempDir('root-');
    const outside = await tempDir('outside-');
    await mkdir(join(root, 'inner'));
    await symlink(outside, join(root, 'escape'));
    await symlink('/etc', join(root, 'inner', 'etc-link'));
    const driver = await makeDriver({ allowedRoots: [root] });
    const bind = (source: string) =>
      driver.createContainer(
        shell('true', { volumes: [{ type: 'bind', source, target: '/mnt/x' }] }),
      );
    expect(await issuesOf(bind(`${root}/inner/../../${outside.split('/').pop()}`))).toEqual([
      'volumes.0.source',
    ]);
    expect(await issuesOf(bind(join(root, 'escape')))).toEqual(['volumes.0.source']);
    expect(await issuesOf(bind(join(root, 'inner', 'etc-link')))).toEqual(['volumes.0.source']);
    expect(await issuesOf(bind(outside))).toEqual(['volumes.0.source']);
    expect(await issuesOf(bind('/etc'))).toEqual(['volumes.0.source']);
    expect(await issuesOf(bind(join(root, 'missing')))).toEqual(['volumes.0.source']);
    expect(await driver.listContainers()).toEqual([]);
  });

  it('allows no bind mounts at all without allowed roots', async () => {
    const driver = await makeDriver();
    const source = await tempDir('src-');
    const error = await driver
      .createContainer(shell('true', { volumes: [{ type: 'bind', source, target: '/mnt/x' }] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/allowedRoots/);
  });

  it('rejects mount targets over /proc, /dev, /sys or the root', async () => {
    const driver = await makeDriver();
    for (const target of ['/proc', '/dev/shm', '/sys/fs', '/']) {
      expect(
        await issuesOf(
          driver.createContainer(shell('true', { volumes: [{ source: 'v', target }] })),
        ),
      ).toEqual(['volumes.0.target']);
    }
  });
});

describe('networks', () => {
  it('are network namespaces of their own when internal, which containers join', async () => {
    const driver = await makeDriver();
    expect((await driver.capabilities()).networks).toBe('isolated');
    const network = await driver.createNetwork({ name: 'backend', sessionId: 's' });
    expect(network).toMatchObject({ name: 'backend', internal: true, driver: 'local' });
    const netns = `/run/netns/berth-${network.id}`;
    expect(existsSync(netns)).toBe(true);
    expect((await driver.listNetworks()).map((n) => n.id)).toEqual([network.id]);
    const c = await driver.createContainer(shell('sleep 300', { network: 'backend' }));
    await driver.startContainer(c.id);
    await expect(driver.removeNetwork(network.id)).rejects.toMatchObject({
      code: 'NETWORK_REMOVE_FAILED',
    });
    await driver.stopContainer(c.id, { timeout: 1 });
    await driver.removeNetwork('backend');
    expect(await driver.listNetworks()).toEqual([]);
    expect(existsSync(netns)).toBe(false);
    await expect(driver.removeNetwork(network.id)).rejects.toMatchObject({
      code: 'NETWORK_NOT_FOUND',
    });
    await expect(
      driver.createContainer(shell('true', { network: 'nowhere' })),
    ).rejects.toMatchObject({ code: 'NETWORK_NOT_FOUND' });
  });
});
