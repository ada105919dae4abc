import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, ConflictError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { makeDriver, shell } from './helpers.js';

describe('names', () => {
  it('gives one of 50 parallel creates with the same name the name, the others a conflict', async () => {
    const driver = await makeDriver();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => driver.createContainer(shell('true', { name: 'only-one' }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const r of lost) expect(r.reason).toBeInstanceOf(ConflictError);
    // The losers left nothing behind: one container directory, one name.
    expect(readdirSync(join(driver.stateDir, 'containers'))).toHaveLength(1);
    expect(await driver.listContainers()).toHaveLength(1);
    // The name is free again once its holder is removed.
    const winner = (won[0] as PromiseFulfilledResult<{ id: string }>).value;
    await driver.removeContainer(winner.id);
    const again = await driver.createContainer(shell('true', { name: 'only-one' }));
    expect(again.name).toBe('only-one');
  });
});

describe('cleanup', () => {
  it('refuses an empty filter, or one whose session is undefined, and removes only what is asked', async () => {
    const driver = await makeDriver();
    const a = await driver.createContainer(shell('true', { sessionId: 'a' }));
    const b = await driver.createContainer(shell('true', { sessionId: 'b' }));
    for (const filter of [{}, { sessionId: undefined }, { sessionId: '' }, { all: false }, null]) {
      await expect(driver.cleanup(filter as never)).rejects.toBeInstanceOf(ConfigurationError);
    }
    await expect(driver.cleanup({ sessionId: 'a', all: true } as never)).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    expect((await driver.listContainers()).map((c) => c.id).sort()).toEqual([a.id, b.id].sort());

    expect(await driver.cleanup({ sessionId: 'a' })).toMatchObject({ containers: 1 });
    expect((await driver.listContainers()).map((c) => c.id)).toEqual([b.id]);
    await driver.createVolume({ name: 'vb', sessionId: 'b' });
    expect(await driver.cleanup({ all: true })).toMatchObject({ containers: 1, volumes: 1 });
    expect(await driver.listContainers()).toEqual([]);
  });
});

describe('hostile strings', () => {
  it('refuses NUL bytes in arguments, env, names and paths before anything exists', async () => {
    const driver = await makeDriver();
    const configs = [
      shell('true', { command: ['echo', 'a\0b'] }),
      shell('true', { env: { A: 'x\0y' } }),
      shell('true', { workingDir: '/tmp\0/x' }),
      shell('true', { labels: { k: 'v\0' } }),
      shell('true', { volumes: [{ source: 'v\0', target: '/data' }] }),
    ];
    for (const config of configs) {
      const error = await driver.createContainer(config).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).retryable).toBe(false);
    }
    const containers = join(driver.stateDir, 'containers');
    expect(existsSync(containers) ? readdirSync(containers) : []).toEqual([]);
    const c = await driver.createContainer(shell('sleep 300'));
    await driver.startContainer(c.id);
    await expect(driver.exec(c.id, ['echo', 'a\0b'])).rejects.toBeInstanceOf(ConfigurationError);
    await expect(driver.exec(c.id, ['env'], { env: { A: '\0' } })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it("refuses a program named with '=' (it would be taken for a variable)", async () => {
    const driver = await makeDriver();
    await expect(
      driver.createContainer(shell('', { command: ['A=b', 'x'] })),
    ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR', issues: [{ path: ['command', 0] }] });
  });
});

describe('volumes of other sessions', () => {
  it('are neither mounted nor handed out again under their name', async () => {
    const driver = await makeDriver();
    await driver.createVolume({ name: 'private', sessionId: 'owner' });
    const error = await driver
      .createContainer(
        shell('cat /data/*', {
          sessionId: 'intruder',
          volumes: [{ source: 'private', target: '/data' }],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain('another session');
    await expect(
      driver.createVolume({ name: 'private', sessionId: 'intruder' }),
    ).rejects.toBeInstanceOf(ConflictError);
    // Its own session mounts it.
    const own = await driver.createContainer(
      shell('true', { sessionId: 'owner', volumes: [{ source: 'private', target: '/data' }] }),
    );
    expect(own.sessionId).toBe('owner');
  });
});

describe('ids', () => {
  it('answers lookups of what cannot be an id as not found, and refuses changes to it', async () => {
    const driver = await makeDriver();
    for (const id of ['', '../x', 'a/b', '\0', 42, null, { id: 'x' }] as never[]) {
      expect(await driver.getContainer(id)).toBeNull();
      await expect(driver.getContainerLogs(id)).rejects.toMatchObject({
        code: 'CONTAINER_NOT_FOUND',
      });
      for (const change of [
        () => driver.startContainer(id),
        () => driver.stopContainer(id),
        () => driver.removeContainer(id),
        () => driver.exec(id, ['true']),
        () => driver.removeVolume(id),
        () => driver.removeNetwork(id),
      ]) {
        await expect(change()).rejects.toBeInstanceOf(ConfigurationError);
      }
    }
  });
});
