import {
  ConfigurationError,
  type ContainerConfigInput,
  type DriverCapabilities,
  NetworkError,
} from '@berth/core';
import { MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { DriverSelector, NoDriverFitsError } from '../src/index.js';

const request = (extra: Partial<ContainerConfigInput> = {}): ContainerConfigInput => ({
  sessionId: 'select',
  image: 'alpine:3',
  ...extra,
});

/** Counts capabilities calls, so a test can see which drivers were asked. */
function counted<D extends { capabilities: () => Promise<DriverCapabilities> }>(driver: D) {
  const calls = { count: 0 };
  const original = driver.capabilities.bind(driver);
  driver.capabilities = () => {
    calls.count++;
    return original();
  };
  return { driver, calls };
}

function drivers() {
  return {
    docker: new MockDockerDriver(),
    // A host where the local runtime can make no read-only root and no real networks.
    local: new MockLocalDriver({ capabilities: { readOnlyRootfs: false } }),
  };
}

describe('DriverSelector', () => {
  it('takes the first driver in the given order that fits, with the config parsed', async () => {
    const { docker, local } = drivers();
    const selector = new DriverSelector([
      { name: 'local', driver: local },
      { name: 'docker', driver: docker },
    ]);
    expect(selector.order).toEqual(['local', 'docker']);
    const writable = await selector.select(request({ security: { readOnly: false } }));
    expect(writable.name).toBe('local');
    expect(writable.driver).toBe(local);
    expect(writable.skipped).toEqual([]);
    expect(writable.config.resources).toEqual({ cpu: 0.5, memory: 512, pids: 100 });
  });

  it('never puts a read-only root (the default) on a driver that cannot enforce one', async () => {
    const { docker, local } = drivers();
    const selector = new DriverSelector([
      { name: 'local', driver: local },
      { name: 'docker', driver: docker },
    ]);
    const chosen = await selector.select(request());
    expect(chosen.name).toBe('docker');
    expect(chosen.skipped).toEqual([
      {
        name: 'local',
        reasons: ['cannot enforce readOnlyRootfs (security.readOnly)'],
        unenforced: [{ feature: 'readOnlyRootfs', path: 'security.readOnly' }],
      },
    ]);
    // What was picked really runs it as asked.
    const container = await chosen.driver.createContainer(chosen.config);
    expect(container.driver).toBe('mock-docker');
    await chosen.driver.removeContainer(container.id, { force: true });
  });

  it('honours the preference order, then the given order', async () => {
    const a = new MockDockerDriver();
    const b = new MockDockerDriver();
    const c = new MockDockerDriver();
    const selector = new DriverSelector(
      [
        { name: 'a', driver: a },
        { name: 'b', driver: b },
        { name: 'c', driver: c },
      ],
      { preference: ['c'] },
    );
    expect(selector.order).toEqual(['c', 'a', 'b']);
    expect((await selector.select(request())).name).toBe('c');
  });

  it('passes over a driver whose limits the request exceeds, without asking its capabilities', async () => {
    const small = counted(new MockLocalDriver());
    const big = counted(new MockDockerDriver());
    const selector = new DriverSelector(
      [
        { name: 'small', driver: small.driver, limits: { cpu: 2, memoryMb: 1024 } },
        { name: 'big', driver: big.driver, limits: { cpu: 4, memoryMb: 8192 } },
      ],
      { preference: ['small', 'big'] },
    );
    const light = await selector.select(request({ resources: { cpu: 1, memory: 512 } }));
    expect(light.name).toBe('small');
    const heavy = await selector.select(request({ resources: { cpu: 3, memory: 2048 } }));
    expect(heavy.name).toBe('big');
    expect(heavy.skipped).toEqual([
      {
        name: 'small',
        reasons: [
          'asks for 3 cores of cpu, more than its limit of 2 cores of cpu',
          'asks for 2048 MB of memory, more than its limit of 1024 MB of memory',
        ],
      },
    ]);
    expect(small.calls.count).toBe(1);
    expect(big.calls.count).toBe(1);
  });

  it('checks what `needs` lists beyond the config', async () => {
    const logical = new MockLocalDriver({ capabilities: { exec: false } });
    const isolated = new MockDockerDriver();
    const selector = new DriverSelector([
      { name: 'logical', driver: logical },
      { name: 'isolated', driver: isolated },
    ]);
    expect((await selector.select(request(), { needs: { networks: 'logical' } })).name).toBe(
      'logical',
    );
    const chosen = await selector.select(request(), {
      needs: { networks: 'isolated', exec: true, stats: false },
    });
    expect(chosen.name).toBe('isolated');
    expect(chosen.skipped[0]?.reasons).toEqual([
      'needs isolated networks, and it has logical ones only',
      'needs exec, which it does not offer',
    ]);
    await expect(selector.select(request(), { needs: { exce: true } as never })).rejects.toThrow(
      /needs names 'exce', which is no driver capability/,
    );
    await expect(
      selector.select(request(), { needs: { networks: true } as never }),
    ).rejects.toThrow(/'isolated' or 'logical'/);
  });

  it('passes over a driver whose capabilities call fails, and goes on', async () => {
    const down = new MockDockerDriver();
    down.capabilities = () =>
      Promise.reject(new NetworkError('connect ECONNREFUSED /var/run/docker.sock'));
    const up = new MockDockerDriver();
    const selector = new DriverSelector([
      { name: 'down', driver: down },
      { name: 'up', driver: up },
    ]);
    const chosen = await selector.select(request());
    expect(chosen.name).toBe('up');
    expect(chosen.skipped[0]).toMatchObject({
      name: 'down',
      reasons: ['its capabilities() call failed: connect ECONNREFUSED /var/run/docker.sock'],
    });
    expect(chosen.skipped[0]?.error).toBeInstanceOf(NetworkError);
  });

  it('throws a NoDriverFitsError listing, per driver, why none fits', async () => {
    const down = new MockLocalDriver();
    down.capabilities = () => Promise.reject(new NetworkError('unreachable'));
    const selector = new DriverSelector([
      { name: 'docker', driver: new MockDockerDriver(), limits: { cpu: 4 } },
      { name: 'local', driver: new MockLocalDriver({ capabilities: { readOnlyRootfs: false } }) },
      { name: 'down', driver: down },
    ]);
    const error = await selector
      .select(request({ name: 'worker', resources: { cpu: 6 } }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(NoDriverFitsError);
    expect(NoDriverFitsError.isInstance(error)).toBe(true);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect(error.code).toBe('CONFIGURATION_ERROR');
    // One driver's backend was unreachable: trying again later may find it.
    expect(error.retryable).toBe(true);
    expect(error.rejections.map((r: { name: string }) => r.name)).toEqual([
      'docker',
      'local',
      'down',
    ]);
    expect(error.message).toBe(
      [
        "No configured driver fits the container of image 'alpine:3' named 'worker':",
        '  - docker: asks for 6 cores of cpu, more than its limit of 4 cores of cpu',
        '  - local: cannot enforce readOnlyRootfs (security.readOnly)',
        '  - down: its capabilities() call failed: unreachable',
        'Ask for what one of them gives (less cpu, memory, disk or pids; without what it cannot enforce, e.g. security.readOnly: false where a writable root filesystem is acceptable), or configure a driver that fits.',
      ].join('\n'),
    );
  });

  it('is not retryable when no driver could ever fit', async () => {
    const selector = new DriverSelector([
      { name: 'docker', driver: new MockDockerDriver(), limits: { memoryMb: 1024 } },
    ]);
    const error = await selector.select(request({ resources: { memory: 4096 } })).catch((e) => e);
    expect(error).toBeInstanceOf(NoDriverFitsError);
    expect(error.retryable).toBe(false);
  });

  it("rejects with the signal's reason when aborted", async () => {
    const slow = new MockDockerDriver();
    slow.capabilities = (options) =>
      new Promise((_, reject) =>
        options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
      );
    const selector = new DriverSelector([{ name: 'slow', driver: slow }]);
    const controller = new AbortController();
    const selecting = selector.select(request(), { signal: controller.signal });
    const reason = new Error('no longer needed');
    controller.abort(reason);
    await expect(selecting).rejects.toBe(reason);
    await expect(selector.select(request(), { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });

  it('refuses an invalid config with core’s ConfigurationError, before asking any driver', async () => {
    const { driver, calls } = counted(new MockDockerDriver());
    const selector = new DriverSelector([{ name: 'docker', driver }]);
    const error = await selector.select(request({ resources: { cpu: 0 } })).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).not.toBeInstanceOf(NoDriverFitsError);
    expect(calls.count).toBe(0);
    // Validated as the drivers would be set up to: a root user only with allowRoot.
    const rooted = new DriverSelector([{ name: 'docker', driver }], {
      validation: { allowRoot: true },
    });
    expect((await rooted.select(request({ security: { user: '0:0' } }))).name).toBe('docker');
    await expect(selector.select(request({ security: { user: '0:0' } }))).rejects.toThrow(
      /security\.user/,
    );
  });

  it('refuses a bad setup, saying what to fix', () => {
    const driver = new MockDockerDriver();
    expect(() => new DriverSelector([])).toThrow(/at least one driver/);
    expect(
      () =>
        new DriverSelector([
          { name: 'x', driver },
          { name: 'x', driver },
        ]),
    ).toThrow(/Two drivers are named 'x'/);
    expect(() => new DriverSelector([{ name: 'x', driver: {} as never }])).toThrow(
      /no ContainerDriver/,
    );
    expect(() => new DriverSelector([{ name: 'x', driver }], { preference: ['y'] })).toThrow(
      /preference names "y", which is no configured driver: they are 'x'/,
    );
    expect(() => new DriverSelector([{ name: 'x', driver }], { preference: ['x', 'x'] })).toThrow(
      /twice/,
    );
    expect(() => new DriverSelector([{ name: 'x', driver, limits: { cpu: 0 } }])).toThrow(
      /cpu must be a positive finite number/,
    );
    expect(
      () => new DriverSelector([{ name: 'x', driver, limits: { memory: 5 } as never }]),
    ).toThrow(/did you mean 'memoryMb'/);
    expect(() => new DriverSelector([{ name: 'x', driver }], { prefer: [] } as never)).toThrow(
      /no option 'prefer'/,
    );
  });
});
