import { ConfigurationError, UnsupportedFeatureError } from '@berth/core';
import { MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { forTenant } from '../src/index.js';

const image = 'berth-test/busybox:latest';

async function refusal(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

describe('tenant security policy', () => {
  it('lists every violation in one security ConfigurationError and creates nothing', async () => {
    const driver = new MockDockerDriver({ allowRoot: true, allowCapabilities: ['SYS_ADMIN'] });
    const view = forTenant(driver, 't', {
      images: ['berth-test/*'],
      deniedBindSources: ['/srv/secrets'],
      maxResources: { cpu: 1, memoryMb: 256 },
    });
    const error = await refusal(
      view.createContainer({
        sessionId: 's',
        image: 'evil/miner:latest',
        security: {
          readOnly: false,
          noNewPrivileges: false,
          user: '0:0',
          capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] },
        },
        volumes: [
          { type: 'bind', source: '/var/run/docker.sock', target: '/s' },
          { type: 'bind', source: '/', target: '/host' },
          { type: 'bind', source: '/etc', target: '/e' },
          { type: 'bind', source: '/proc', target: '/p' },
          { type: 'bind', source: '/sys', target: '/y' },
          { type: 'bind', source: '/srv/secrets/key', target: '/k' },
        ],
        resources: { cpu: 4, memory: 4096 },
        network: 'host',
      }),
    );
    expect(error.issues.every((i) => i.stage === 'security')).toBe(true);
    expect(error.issues.map((i) => i.path.join('.')).sort()).toEqual(
      [
        'image',
        'network',
        'resources.cpu',
        'resources.memory',
        'security.capabilities.add.0',
        'security.noNewPrivileges',
        'security.readOnly',
        'security.user',
        'volumes.0.source',
        'volumes.1.source',
        'volumes.2.source',
        'volumes.3.source',
        'volumes.4.source',
        'volumes.5.source',
      ].sort(),
    );
    expect(await driver.listContainers()).toEqual([]);
    expect(await driver.listNetworks()).toEqual([]);
  });

  it('refuses root and container: networks even on a driver that allows root', async () => {
    // The driver would accept uid 0: only the tenant guard stands between the tenant and root.
    const driver = new MockDockerDriver({ allowRoot: true });
    const view = forTenant(driver, 't');
    const root = await refusal(
      view.createContainer({ sessionId: 's', image, security: { user: '0' } }),
    );
    expect(root.issues.map((i) => i.path.join('.'))).toEqual(['security.user']);
    await refusal(view.createContainer({ sessionId: 's', image, network: 'container:abc' }));
    const c = await view.createContainer({ sessionId: 's', image, command: ['sleep', '100'] });
    await view.startContainer(c.id);
    await refusal(view.exec(c.id, ['id'], { user: 'root' }));
    expect((await driver.listContainers()).length).toBe(1);
  });

  it('accepts what the policy allows', async () => {
    const driver = new MockDockerDriver({ allowRoot: true, allowCapabilities: ['NET_ADMIN'] });
    const view = forTenant(driver, 't', {
      allowRoot: true,
      allowCapabilities: ['NET_ADMIN'],
      users: ['0:0'],
      images: ['berth-test/*'],
    });
    const c = await view.createContainer({
      sessionId: 's',
      image,
      security: { user: '0:0', capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } },
    });
    expect(c.tenantId).toBe('t');
    await refusal(view.createContainer({ sessionId: 's', image, security: { user: '1000:1000' } }));
  });

  it('fails closed where networks are not isolated, unless segmentation is best-effort', async () => {
    const driver = new MockLocalDriver();
    expect((await driver.capabilities()).networks).toBe('logical');
    const strict = forTenant(driver, 't', { requireReadOnlyRootfs: false });
    await expect(strict.createContainer({ sessionId: 's', image: 'host' })).rejects.toThrow(
      UnsupportedFeatureError,
    );
    await expect(strict.createNetwork({ name: 'n' })).rejects.toThrow(UnsupportedFeatureError);
    expect(await driver.listContainers()).toEqual([]);
    expect(await driver.listNetworks()).toEqual([]);

    const loose = forTenant(driver, 't', { segmentation: 'best-effort' });
    const c = await loose.createContainer({ sessionId: 's', image: 'host' });
    expect(c.tenantId).toBe('t');
    expect((await loose.listNetworks()).map((n) => [n.name, n.internal])).toEqual([
      ['tenant-t', false],
    ]);
  });

  it("will not join a network squatting the tenant's name, and no tenant may make one", async () => {
    const driver = new MockDockerDriver();
    const a = forTenant(driver, 'a');
    await refusal(a.createNetwork({ name: 'tenant-b' }));
    await driver.createNetwork({ name: 'tenant-b' });
    const b = forTenant(driver, 'b');
    await expect(b.createContainer({ sessionId: 's', image })).rejects.toThrow(/does not belong/);
    expect(await driver.listContainers()).toEqual([]);
  });
});
