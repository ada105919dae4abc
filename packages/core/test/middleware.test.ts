import { describe, expect, it, vi } from 'vitest';
import {
  BerthEvents,
  ContainerNotFoundError,
  type DriverMiddleware,
  type LogLine,
  withEvents,
  withSignal,
  wrapDriver,
} from '../src/index.js';
import { TinyDriver } from './fixtures/tiny-driver.js';

const config = { sessionId: 's1', image: 'busybox' };

async function collect(iterable: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of iterable) lines.push(line);
  return lines;
}

describe('wrapDriver', () => {
  it('runs a getter of the wrapped driver on the driver itself, #private fields included', async () => {
    class WithState extends TinyDriver {
      readonly #dir = '/state';
      get stateDir(): string {
        return this.#dir;
      }
    }
    const wrapped = wrapDriver(new WithState(), async (_call, next) => next());
    expect(wrapped.stateDir).toBe('/state');
  });

  it('preserves every method, `this`, arguments, results and extra members', async () => {
    const inner = new TinyDriver();
    const seen: unknown[][] = [];
    const spy: DriverMiddleware = async (call, next) => {
      seen.push([call.operation, ...call.args]);
      return next();
    };
    const driver = wrapDriver(inner, spy);

    const created = await driver.createContainer(config);
    await driver.startContainer(created.id);
    expect((await driver.getContainer(created.id))?.status).toBe('running');
    expect(await driver.exec(created.id, ['echo', 'hi'], { cwd: '/tmp' })).toEqual({
      exitCode: 0,
      stdout: 'echo hi',
      stderr: '',
    });
    expect(await collect(driver.streamLogs(created.id, { follow: false }))).toHaveLength(2);
    expect(driver.countContainers()).toBe(1);
    expect(driver.name).toBe('tiny');
    expect(driver.contractVersion).toBe(inner.contractVersion);
    expect((await driver.capabilities()).networks).toBe('logical');

    expect(seen).toEqual([
      ['createContainer', config],
      ['startContainer', created.id],
      ['getContainer', created.id],
      ['exec', created.id, ['echo', 'hi'], { cwd: '/tmp' }],
      ['streamLogs', created.id, { follow: false }],
      ['capabilities'],
    ]);
  });

  it('passes the driver’s errors through unchanged', async () => {
    const driver = wrapDriver(new TinyDriver(), async (_call, next) => next());
    const error = await driver.startContainer('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerNotFoundError);
    await expect(collect(driver.streamLogs('missing'))).rejects.toBeInstanceOf(
      ContainerNotFoundError,
    );
  });

  it('composes middleware in the order given, first outermost', async () => {
    const order: string[] = [];
    const layer =
      (label: string): DriverMiddleware =>
      async (_call, next) => {
        order.push(`${label}:before`);
        const result = await next();
        order.push(`${label}:after`);
        return result;
      };
    const driver = wrapDriver(new TinyDriver(), layer('a'), layer('b'), layer('c'));
    await driver.listContainers();
    expect(order).toEqual(['a:before', 'b:before', 'c:before', 'c:after', 'b:after', 'a:after']);
  });

  it('lets middleware change arguments and results, and stop a call', async () => {
    const relabel: DriverMiddleware = async (call, next) => {
      if (call.operation === 'createContainer') {
        const [input, ...rest] = call.args as [{ labels?: Record<string, string> }, ...unknown[]];
        return next([{ ...input, labels: { team: 'a' } }, ...rest] as never);
      }
      return next();
    };
    const refuse: DriverMiddleware = async (call, next) => {
      if (call.operation === 'removeContainer') throw new Error('not allowed');
      return next();
    };
    const inner = new TinyDriver();
    const driver = wrapDriver(inner, relabel, refuse);
    const created = await driver.createContainer(config);
    expect(created.labels).toEqual({ team: 'a' });
    await expect(driver.removeContainer(created.id)).rejects.toThrow('not allowed');
    expect(inner.countContainers()).toBe(1);
  });

  it('withSignal puts a signal into the options argument wherever it sits', () => {
    const signal = new AbortController().signal;
    expect(withSignal('exec', ['id', ['ls']], signal)).toEqual(['id', ['ls'], { signal }]);
    expect(withSignal('stopContainer', ['id', { timeout: 1 }], signal)).toEqual([
      'id',
      { timeout: 1, signal },
    ]);
    expect(withSignal('healthCheck', [], signal)).toEqual([{ signal }]);
  });

  it('wraps a wrapped driver', async () => {
    const calls: string[] = [];
    const log =
      (tag: string): DriverMiddleware =>
      async (call, next) => {
        calls.push(`${tag}:${call.operation}`);
        return next();
      };
    const driver = wrapDriver(wrapDriver(new TinyDriver(), log('inner')), log('outer'));
    await driver.healthCheck();
    expect(calls).toEqual(['outer:healthCheck', 'inner:healthCheck']);
  });
});

describe('withEvents', () => {
  function setup() {
    const events = new BerthEvents();
    const inner = new TinyDriver();
    const driver = wrapDriver(inner, withEvents(events));
    const seen: [string, unknown][] = [];
    for (const name of [
      'container:created',
      'container:started',
      'container:stopped',
      'container:restarted',
      'container:removed',
      'container:healthy',
      'container:unhealthy',
      'container:died',
      'volume:created',
      'volume:removed',
      'network:created',
      'network:removed',
      'driver:warning',
    ] as const) {
      events.on(name, (payload) => seen.push([name, payload]));
    }
    return { events, inner, driver, seen };
  }

  it('emits each lifecycle event once, after success', async () => {
    const { driver, seen } = setup();
    const c = await driver.createContainer(config);
    await driver.startContainer(c.id);
    await driver.restartContainer(c.id);
    await driver.stopContainer(c.id);
    await driver.removeContainer(c.id);
    await driver.createVolume({ name: 'v' });
    await driver.removeVolume('v');
    await driver.createNetwork({ name: 'n' });
    await driver.removeNetwork('n');
    expect(seen.map(([name]) => name)).toEqual([
      'container:created',
      'container:started',
      'container:restarted',
      'container:stopped',
      'container:removed',
      'volume:created',
      'volume:removed',
      'network:created',
      'network:removed',
    ]);
    const [, created] = seen[0] as [
      string,
      { container: { id: string }; driver: string; at: Date },
    ];
    expect(created.container.id).toBe(c.id);
    expect(created.driver).toBe('tiny');
    expect(created.at).toBeInstanceOf(Date);
    expect(seen[1]?.[1]).toMatchObject({ containerId: c.id, driver: 'tiny' });
  });

  it('emits nothing when the operation fails', async () => {
    const { driver, seen } = setup();
    await expect(driver.startContainer('nope')).rejects.toBeInstanceOf(ContainerNotFoundError);
    await expect(driver.createContainer({ sessionId: '', image: '' })).rejects.toThrow();
    expect(seen).toEqual([]);
  });

  it('reports health changes once per change', async () => {
    const { driver, inner, seen } = setup();
    const c = await driver.createContainer(config);
    await driver.startContainer(c.id);
    seen.length = 0;
    await driver.isContainerHealthy(c.id);
    await driver.isContainerHealthy(c.id);
    inner.health = false;
    await driver.isContainerHealthy(c.id);
    await driver.isContainerHealthy(c.id);
    inner.health = true;
    await driver.isContainerHealthy(c.id);
    expect(seen.map(([name]) => name)).toEqual([
      'container:healthy',
      'container:unhealthy',
      'container:healthy',
    ]);
  });

  it('reports a death once, but not a stop', async () => {
    const { driver, inner, seen } = setup();
    const a = await driver.createContainer(config);
    const b = await driver.createContainer(config);
    await driver.startContainer(a.id);
    await driver.startContainer(b.id);
    await driver.stopContainer(a.id);
    inner.exitOnItsOwn(b.id, 137);
    await driver.listContainers();
    await driver.getContainer(b.id);
    await driver.getContainer(a.id);
    const deaths = seen.filter(([name]) => name === 'container:died');
    expect(deaths).toHaveLength(1);
    expect(deaths[0]?.[1]).toMatchObject({ containerId: b.id, exitCode: 137 });
  });

  it('reports the result of waitContainer as a death', async () => {
    const { driver, seen } = setup();
    const c = await driver.createContainer(config);
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    await driver.waitContainer(c.id);
    const deaths = seen.filter(([name]) => name === 'container:died');
    expect(deaths).toHaveLength(1);
    expect(deaths[0]?.[1]).toMatchObject({ exitCode: 3, oomKilled: false });
  });

  it('warns when the instance lists unenforced features', async () => {
    const { driver, inner, seen } = setup();
    inner.unenforced = [{ feature: 'memory', path: 'resources.memory' }];
    const c = await driver.createContainer(config);
    const warning = seen.find(([name]) => name === 'driver:warning')?.[1] as {
      message: string;
      containerId: string;
    };
    expect(warning.containerId).toBe(c.id);
    expect(warning.message).toContain('memory');
  });

  it('warns when a volume or network was made without something it asked for', async () => {
    const { defineDriver } = await import('../src/kit/index.js');
    const events = new BerthEvents();
    const seen: string[] = [];
    events.on('driver:warning', (w) => seen.push(w.message));
    const inner = new TinyDriver();
    // Tiny's capabilities: networks are logical and no volume size is enforced.
    const lenient = wrapDriver(
      defineDriver(
        {
          name: 'lenient',
          version: '1',
          capabilities: () => inner.capabilities(),
          createContainer: () => inner.createContainer({ sessionId: 's', image: 'i' }),
          startContainer: (id) => inner.startContainer(id),
          stopContainer: (id) => inner.stopContainer(id),
          removeContainer: (id) => inner.removeContainer(id),
          getContainer: (id) => inner.getContainer(id),
          listContainers: () => inner.listContainers(),
          streamLogs: (id) => inner.streamLogs(id),
          waitContainer: (id) => inner.waitContainer(id),
          exec: (id, command) => inner.exec(id, command),
          getContainerStats: (id) => inner.getContainerStats(id),
          createVolume: (config) => inner.createVolume({ name: config.name }),
          removeVolume: (id) => inner.removeVolume(id),
          listVolumes: () => inner.listVolumes(),
          createNetwork: (config) => inner.createNetwork({ name: config.name }),
          removeNetwork: (id) => inner.removeNetwork(id),
          listNetworks: () => inner.listNetworks(),
        },
        { enforcement: 'best-effort' },
      ),
      withEvents(events),
    );
    await lenient.createVolume({ name: 'v', sizeMb: 5 });
    await lenient.createNetwork({ name: 'n' });
    expect(seen).toEqual([
      'Volume v was made without: volumeSize (best-effort enforcement)',
      'Network n was made without: networks (best-effort enforcement)',
    ]);
  });

  it('a throwing listener does not turn a success into a failure', async () => {
    const onListenerError = vi.fn();
    const events = new BerthEvents({ onListenerError });
    events.on('container:created', () => {
      throw new Error('listener broke');
    });
    const driver = wrapDriver(new TinyDriver(), withEvents(events));
    const c = await driver.createContainer(config);
    expect(c.id).toBeTruthy();
    expect(onListenerError).toHaveBeenCalledWith(expect.any(Error), 'container:created');
  });
});
