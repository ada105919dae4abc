import { ContainerCreationError, ResourceLimitError } from '@berth/core';
import { MockDockerDriver, withFaults } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { forTenant, type TenantQuota, tenantAdmin } from '../src/index.js';

const image = 'berth-test/busybox:latest';

async function limitOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ResourceLimitError);
  return (error as ResourceLimitError).resource;
}

describe('tenant quotas', () => {
  it('refuses past each quota, naming it, and releases on remove and on death', async () => {
    const driver = new MockDockerDriver();
    const view = forTenant(driver, 't', {
      quota: { containers: 3, cpu: 2.5, memoryMb: 1024, pids: 300, sessions: 2, diskMb: 100 },
    });
    const res = { cpu: 1, memory: 256, pids: 100 };
    const one = await view.createContainer({
      sessionId: 's1',
      image,
      resources: res,
      command: ['sleep', '100'],
    });
    await view.createContainer({ sessionId: 's1', image, resources: res });
    expect(await limitOf(view.createContainer({ sessionId: 's1', image, resources: res }))).toBe(
      'tenant.cpu',
    );
    expect(
      await limitOf(
        view.createContainer({ sessionId: 's1', image, resources: { cpu: 0.1, memory: 600 } }),
      ),
    ).toBe('tenant.memoryMb');
    expect(
      await limitOf(
        view.createContainer({
          sessionId: 's2',
          image,
          resources: { cpu: 0.1, memory: 64, disk: 200 },
        }),
      ),
    ).toBe('tenant.diskMb');
    expect(
      await limitOf(
        view.createContainer({
          sessionId: 's2',
          image,
          resources: { cpu: 0.1, memory: 64, pids: 101 },
        }),
      ),
    ).toBe('tenant.pids');
    await view.createContainer({
      sessionId: 's2',
      image,
      resources: { cpu: 0.1, memory: 64, pids: 10 },
    });
    expect(
      await limitOf(
        view.createContainer({
          sessionId: 's1',
          image,
          resources: { cpu: 0.1, memory: 64, pids: 10 },
        }),
      ),
    ).toBe('tenant.containers');
    expect((await driver.listContainers()).length).toBe(3);

    // Death releases cpu: a stopped container no longer counts towards it...
    await view.startContainer(one.id);
    await view.stopContainer(one.id);
    await view.removeContainer((await view.listContainers({ sessionId: 's2' }))[0]?.id ?? '');
    await view.createContainer({ sessionId: 's1', image, resources: res });
    // ...and coming back to life is checked again.
    expect(await limitOf(view.startContainer(one.id))).toBe('tenant.cpu');
  });

  it('counts distinct sessions', async () => {
    const view = forTenant(new MockDockerDriver(), 't', { quota: { sessions: 1 } });
    await view.createContainer({ sessionId: 's1', image });
    await view.createContainer({ sessionId: 's1', image });
    expect(await limitOf(view.createContainer({ sessionId: 's2', image }))).toBe('tenant.sessions');
  });

  it('holds under 500 concurrent creates across 5 tenants, with failing creates', async () => {
    const driver = withFaults(new MockDockerDriver());
    driver.faults.failRate('createContainer', 0.2, () => new ContainerCreationError('injected'));
    const quota: TenantQuota = { containers: 40, cpu: 30, memoryMb: 8192, sessions: 7 };
    const tenants = ['t0', 't1', 't2', 't3', 't4'];
    const views = tenants.map((t) => forTenant(driver, t, { quota }));
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) => {
        const view = views[i % 5];
        return view?.createContainer({
          sessionId: `s${i % 11}`,
          image,
          resources: { cpu: 0.5 + (i % 3) * 0.25, memory: 128 },
        });
      }),
    );
    const reasons = new Set(
      results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).name)] : [])),
    );
    expect([...reasons].sort()).toEqual(['ContainerCreationError', 'ResourceLimitError']);
    const admin = tenantAdmin(driver, Object.fromEntries(tenants.map((t) => [t, quota])));
    for (const [i, t] of tenants.entries()) {
      const { usage } = await admin.usage(t);
      expect(usage.containers).toBeLessThanOrEqual(40);
      expect(usage.cpu).toBeLessThanOrEqual(30 + 1e-9);
      expect(usage.sessions).toBeLessThanOrEqual(7);
      expect(usage.containers).toBeGreaterThan(0);
      const seen = await views[i]?.listContainers();
      expect(seen?.every((c) => c.tenantId === t)).toBe(true);
      expect(seen?.length).toBe(usage.containers);
    }
    const report = await admin.report();
    expect(report.map((r) => r.tenantId)).toEqual(tenants);
    expect(report.some((r) => r.full.length > 0)).toBe(true);
    expect((await admin.cleanup('t0')).containers).toBeGreaterThan(0);
    expect((await admin.usage('t0')).usage.containers).toBe(0);
    expect((await admin.usage('t1')).usage.containers).toBeGreaterThan(0);
  });
});
