import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  ContainerNotFoundError,
  TimeoutError,
  UnsupportedFeatureError,
} from '../src/index.js';
import { BERTH_LABELS, defineDriver } from '../src/kit/index.js';
import { primitives } from './fixtures/unit-primitives.js';

const base = { sessionId: 's1', image: 'img' };

describe('the driver kit', () => {
  it('validates everything before the first primitive, listing every problem', async () => {
    const { p, calls } = primitives();
    const driver = defineDriver({
      ...p,
      checkContainer: () => [{ path: ['volumes'], message: 'not here', stage: 'security' }],
    });
    const bad = await driver
      .createContainer({ sessionId: '', image: '', resources: { cpu: -1 } })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigurationError);
    expect((bad as ConfigurationError).issues.length).toBeGreaterThanOrEqual(3);
    const refused = await driver.createContainer(base).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigurationError);
    expect((refused as Error).message).toContain('not here');
    expect(calls).toEqual([]);
  });

  it('applies the policy: dangerous capabilities only when allowed', async () => {
    const { p } = primitives();
    const config = { ...base, security: { capabilities: { add: ['NET_ADMIN'] } } };
    await expect(defineDriver(p).createContainer(config)).rejects.toThrow(ConfigurationError);
    const allowed = defineDriver(p, { allowCapabilities: ['NET_ADMIN'] });
    await expect(allowed.createContainer(config)).resolves.toMatchObject({ sessionId: 's1' });
  });

  it('fails closed on what the host cannot enforce, or lists it under best-effort', async () => {
    const weak = primitives({ memory: false, volumeSize: false, networks: 'logical' });
    const strict = defineDriver(weak.p);
    await expect(strict.createContainer(base)).rejects.toThrow(UnsupportedFeatureError);
    await expect(strict.createVolume({ name: 'v', sizeMb: 10 })).rejects.toThrow(
      UnsupportedFeatureError,
    );
    await expect(strict.createNetwork({ name: 'n' })).rejects.toThrow(UnsupportedFeatureError);
    expect(weak.calls).toEqual([]);
    const lenient = defineDriver(weak.p, { enforcement: 'best-effort' });
    const c = await lenient.createContainer(base);
    expect(c.unenforced).toEqual([{ feature: 'memory', path: 'resources.memory' }]);
    expect(JSON.parse(c.labels[BERTH_LABELS.unenforced] as string)).toEqual(c.unenforced);
    const v = await lenient.createVolume({ name: 'v', sizeMb: 10 });
    expect(v.unenforced?.map((u) => u.feature)).toEqual(['volumeSize']);
    const n = await lenient.createNetwork({ name: 'n' });
    expect(n.unenforced?.map((u) => u.path)).toEqual(['internal']);
  });

  it('stamps one label vocabulary on containers, volumes and networks', async () => {
    const { p } = primitives();
    const driver = defineDriver(p, { labels: { team: 'a' } });
    const owner = { sessionId: 's1', tenantId: 't1', labels: { app: 'x' } };
    const c = await driver.createContainer({ ...base, ...owner });
    const v = await driver.createVolume({ name: 'v1', ...owner });
    const n = await driver.createNetwork({ name: 'n1', ...owner });
    for (const labels of [c.labels, v.labels, n.labels]) {
      expect(labels).toMatchObject({
        team: 'a',
        app: 'x',
        [BERTH_LABELS.managed]: 'true',
        [BERTH_LABELS.driver]: 'unit',
        [BERTH_LABELS.driverVersion]: '1.2.3',
        [BERTH_LABELS.session]: 's1',
        [BERTH_LABELS.tenant]: 't1',
      });
      expect(labels[BERTH_LABELS.create]).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(() => defineDriver(p, { labels: { 'berth.session': 'x' } })).toThrow(ConfigurationError);
  });

  it('checks the signal before and after a primitive; an abandoned create leaves nothing', async () => {
    const kit = primitives();
    const driver = defineDriver(kit.p);
    await expect(driver.createContainer(base, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(kit.calls).toEqual([]);
    kit.slowCreates(30);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 5);
    await expect(driver.createContainer(base, { signal: controller.signal })).rejects.toThrow(
      'gave up',
    );
    expect(kit.calls).toEqual(['create', 'remove c1']);
    expect(kit.containers.size).toBe(0);
  });

  it('applies per-operation timeouts as TimeoutError', async () => {
    const kit = primitives();
    kit.slowCreates(50);
    const driver = defineDriver(kit.p, { timeouts: { createContainer: 10 } });
    const error = await driver.createContainer(base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ operation: 'createContainer', ms: 10, retryable: true });
    expect(() => defineDriver(kit.p, { timeouts: { exec: -1 } })).toThrow(ConfigurationError);
  });

  it('answers ids that cannot be ids without asking the primitives', async () => {
    const { p, calls } = primitives();
    const driver = defineDriver(p);
    await expect(driver.startContainer('../x')).rejects.toThrow(ConfigurationError);
    await expect(driver.getContainer('../../etc/passwd')).resolves.toBeNull();
    await expect(driver.waitContainer('')).rejects.toThrow(ContainerNotFoundError);
    await expect(driver.exec('c1', 'ls' as unknown as string[])).rejects.toThrow(
      ConfigurationError,
    );
    await expect(driver.exec('c1', [])).rejects.toThrow(ConfigurationError);
    await expect(driver.stopContainer('c1', { timeout: -1 })).rejects.toThrow(ConfigurationError);
    expect(calls).toEqual([]);
  });

  it('derives restart, logs, health and cleanup from the primitives', async () => {
    const { p, calls } = primitives();
    const driver = defineDriver(p);
    const c = await driver.createContainer(base);
    await driver.startContainer(c.id);
    await driver.restartContainer(c.id);
    expect(calls.slice(-3)).toEqual([`start ${c.id}`, `stop ${c.id}`, `start ${c.id}`]);
    expect(await driver.getContainerLogs(c.id)).toBe('one\ntwo\n');
    expect(await driver.getContainerLogs(c.id, { timestamps: true })).toBe(
      '1970-01-01T00:00:00.000Z one\n1970-01-01T00:00:00.001Z two\n',
    );
    expect(await driver.isContainerHealthy(c.id)).toBe(true);
    expect(await driver.healthCheck()).toMatchObject({
      status: 'healthy',
      version: '1.2.3',
      containers: { total: 1, running: 1, stopped: 0 },
    });
    await driver.createContainer({ ...base, sessionId: 'other' });
    await driver.createVolume({ name: 'v1', sessionId: 's1' });
    await expect(driver.cleanup({} as never)).rejects.toThrow(ConfigurationError);
    expect(await driver.cleanup({ sessionId: 's1' })).toEqual({
      containers: 1,
      volumes: 1,
      networks: 0,
    });
    expect((await driver.listContainers()).map((x) => x.sessionId)).toEqual(['other']);
  });

  it('fails closed on a volume or network driver, or options, the driver does not offer', async () => {
    const { p } = primitives();
    const plain = defineDriver(p);
    await expect(plain.createVolume({ name: 'v', driver: 'nfs' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_FEATURE',
      features: [{ feature: 'volumeDriver', path: 'driver' }],
    });
    await expect(plain.createVolume({ name: 'v', options: { o: 'bind' } })).rejects.toThrow(
      UnsupportedFeatureError,
    );
    await expect(plain.createNetwork({ name: 'n', driver: 'macvlan' })).rejects.toThrow(
      UnsupportedFeatureError,
    );
    const offering = defineDriver({
      ...p,
      volumeDrivers: () => ['local', 'nfs'],
      checkVolume: (config) =>
        config.options?.device
          ? [{ path: ['options', 'device'], message: 'no', stage: 'security' }]
          : [],
    });
    await expect(offering.createVolume({ name: 'v1', driver: 'nfs' })).resolves.toMatchObject({
      name: 'v1',
    });
    await expect(
      offering.createVolume({ name: 'v2', options: { device: '/etc' } }),
    ).rejects.toThrow(ConfigurationError);
    expect((await offering.listVolumes()).map((v) => v.name)).toEqual(['v1']);
  });

  it('closes once, also through Symbol.asyncDispose', async () => {
    let closed = 0;
    const { p } = primitives();
    const driver = defineDriver({
      ...p,
      close: async () => {
        closed++;
      },
    });
    await driver.close();
    await driver[Symbol.asyncDispose]();
    expect(closed).toBe(1);
  });
});
