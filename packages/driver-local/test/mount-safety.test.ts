import { mkdirSync } from 'node:fs';
import { chmod, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { MountChangedError, openMountSources } from '../src/isolation/mount-handles.js';
import { makeDriver, shell, tempDir } from './helpers.js';

async function problemOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigurationError);
  return (error as ConfigurationError).issues
    .map((i) => `${i.path.join('.')}: ${i.message}`)
    .join('\n');
}

describe('bind mount sources', () => {
  it('never include the host root, its configuration, kernel, engine or driver state, whatever the allowed roots', async () => {
    const driver = await makeDriver({ allowedRoots: ['/'] });
    for (const source of [
      '/',
      '/etc',
      '/etc/ssl',
      '/proc',
      '/sys',
      '/dev',
      '/root',
      '/run',
      '/var/run',
      '/boot',
      '/var',
    ]) {
      const message = await problemOf(
        driver.createContainer(
          shell('true', { volumes: [{ type: 'bind', source, target: '/mnt/x', readOnly: true }] }),
        ),
      );
      expect(message).toMatch(/never mounted|does not exist/);
    }
    // Nor the driver's own state (it holds every container), nor a directory holding it.
    for (const source of [driver.stateDir, join(driver.stateDir, '..')]) {
      expect(
        await problemOf(
          driver.createContainer(
            shell('true', { volumes: [{ type: 'bind', source, target: '/mnt/x' }] }),
          ),
        ),
      ).toContain('never mounted');
    }
  });

  it('are checked again at start: one swapped for a symlink leading out is refused', async () => {
    const root = await tempDir('root-');
    const outside = await tempDir('outside-');
    await writeFile(join(outside, 'secret'), 'host secret\n');
    const data = join(root, 'data');
    await mkdir(data);
    await chmod(data, 0o777);
    await writeFile(join(data, 'file'), 'inside\n');
    const driver = await makeDriver({ allowedRoots: [root] });
    const c = await driver.createContainer(
      shell('cat /data/*; echo written > /data/new', {
        volumes: [{ type: 'bind', source: data, target: '/data' }],
      }),
    );
    // What another container with the parent mounted read-write could do between create and start.
    await rename(data, `${data}.orig`);
    await symlink(outside, data);
    const error = await driver.startContainer(c.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain('outside the allowed roots');
    expect(await driver.getContainerLogs(c.id)).toBe('');
    expect((await driver.getContainer(c.id))?.status).toBe('created');
  });

  it('are opened as handles that must be the checked path itself, symlinks anywhere refused', async () => {
    const root = await tempDir('handles-');
    mkdirSync(join(root, 'real', 'dir'), { recursive: true });
    await symlink(join(root, 'real'), join(root, 'link'));
    await symlink(join(root, 'real', 'dir'), join(root, 'dirlink'));
    const fds = openMountSources([{ path: join(root, 'real', 'dir'), directory: true }]);
    expect(fds).toHaveLength(1);
    // A symlink as the last component, or further up, is not what was checked.
    expect(() => openMountSources([{ path: join(root, 'dirlink'), directory: true }])).toThrow(
      MountChangedError,
    );
    expect(() => openMountSources([{ path: join(root, 'link', 'dir'), directory: true }])).toThrow(
      /now resolves to/,
    );
  });
});

describe('mount targets', () => {
  it('never cover what the driver runs as root inside the sandbox: programs, libraries, /etc', async () => {
    const driver = await makeDriver();
    for (const target of [
      '/usr/bin',
      '/usr',
      '/etc',
      '/etc/ld.so.preload',
      '/lib64',
      '/bin/sh',
      '/usr/lib/x86_64-linux-gnu',
    ]) {
      const message = await problemOf(
        driver.createContainer(shell('true', { volumes: [{ source: 'v', target }] })),
      );
      expect(message).toContain('cannot mount over');
    }
    // Elsewhere under /usr is fine.
    const c = await driver.createContainer(
      shell('echo ok > /usr/local/share/berth/x && cat /usr/local/share/berth/x', {
        volumes: [{ source: 'v', target: '/usr/local/share/berth' }],
      }),
    );
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id)).toBe('ok\n');
  });
});
