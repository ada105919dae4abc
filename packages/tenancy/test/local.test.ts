import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DriverCapabilities, wrapDriver } from '@berth/core';
import { LocalDriver } from '@berth/driver-local';
import { afterAll, describe, expect, it } from 'vitest';
import { forTenant } from '../src/index.js';
import { eventually } from './support.js';

/* The tenant view over the local driver: real processes, namespaces and state on disk. */

const stateDir = mkdtempSync(join(tmpdir(), 'berth-tenancy-local-'));
const driver = new LocalDriver({ stateDir });
afterAll(async () => {
  await driver.cleanup({ all: true });
  await driver.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const run = (script: string) => ({ image: 'local', command: ['sh', '-c', script] });

describe('tenant views over the local driver', () => {
  it('scope, enforce quotas and policies on real processes', async () => {
    const a = forTenant(driver, 'a', { quota: { containers: 1 }, images: ['local'] });
    const b = forTenant(driver, 'b');
    const mine = await a.createContainer({ ...run('echo from-a; sleep 600'), sessionId: 's' });
    await a.startContainer(mine.id);
    expect((await driver.getContainer(mine.id))?.tenantId).toBe('a');
    // Another tenant: the container does not exist, for every kind of call.
    expect(await b.getContainer(mine.id)).toBeNull();
    for (const call of [
      () => b.stopContainer(mine.id),
      () => b.removeContainer(mine.id, { force: true }),
      () => b.exec(mine.id, ['true']),
      () => b.getContainerLogs(mine.id),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    }
    expect((await driver.getContainer(mine.id))?.status).toBe('running');
    expect(await b.listContainers()).toEqual([]);
    // The quota: one container is all tenant a may have.
    await expect(a.createContainer({ ...run('true'), sessionId: 's' })).rejects.toMatchObject({
      code: 'RESOURCE_LIMIT_EXCEEDED',
      resource: 'tenant.containers',
    });
    // Its policy: images outside the pattern, and root, are refused before anything is made.
    const before = (await driver.listContainers()).length;
    await expect(
      a.createContainer({ ...run('true'), image: 'other', sessionId: 's' }),
    ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
    await expect(
      b.createContainer({ ...run('true'), sessionId: 's', security: { user: '0:0' } }),
    ).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect((await driver.listContainers()).length).toBe(before);
    // Its network is the tenant's own: an isolated namespace on this host.
    expect((await a.listNetworks()).map((n) => n.name)).toEqual(['tenant-a']);
    // Its output, through the tenant's view: the program may not have printed yet.
    const logs = await eventually(
      "the container's output through tenant a's view",
      () => a.getContainerLogs(mine.id),
      (text) => text !== '',
    );
    expect(logs).toBe('from-a\n');
  });

  it('fails closed where the local driver cannot segment networks, unless told best-effort', async () => {
    // What the local driver reports on a host without network namespaces (not root, no ip).
    const logical = wrapDriver(driver, async (call, next) => {
      const result = await next();
      return call.operation === 'capabilities'
        ? ({ ...(result as DriverCapabilities), networks: 'logical' } as typeof result)
        : result;
    });
    const before = (await driver.listContainers()).length;
    await expect(
      forTenant(logical, 'c').createContainer({ ...run('true'), sessionId: 's' }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    expect((await driver.listContainers()).length).toBe(before);
    const lenient = forTenant(logical, 'd', { segmentation: 'best-effort' });
    const made = await lenient.createContainer({ ...run('true'), sessionId: 's' });
    expect(made.tenantId).toBe('d');
  });
});
