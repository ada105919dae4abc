import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  ContainerCreationError,
  ContainerExpiredError,
  UnsupportedFeatureError,
} from '../src/index.js';
import {
  defineDriver,
  FileLifetimeStore,
  keeperRunning,
  LIFETIME_LABEL,
  type LifetimeClock,
  MemoryLifetimeStore,
  runKeeperProcess,
} from '../src/kit/index.js';
import { primitives } from './fixtures/unit-primitives.js';

/** Time that moves only when the test says, with every keeper sleep woken on the way. */
class TestClock implements LifetimeClock {
  // From real time: the instances the primitives make carry real dates.
  #now = Date.now();
  #sleepers: { at: number; wake: () => void }[] = [];
  now = () => this.#now;
  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const sleeper = { at: this.#now + ms, wake: resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal.reason);
      });
    });
  async advance(ms: number): Promise<void> {
    this.#now += ms;
    for (const s of this.#sleepers.filter((s) => s.at <= this.#now)) s.wake();
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.#now);
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 2));
};

function setup(options: { stopGate?: Promise<void> } = {}) {
  const clock = new TestClock();
  const store = new MemoryLifetimeStore();
  const unit = primitives({ lifetimes: true });
  const stop = unit.p.stopContainer;
  const driver = defineDriver({
    ...unit.p,
    lifetimes: { store, clock },
    stopContainer: async (id, opts, ctx) => {
      if (options.stopGate && id === 'c1') await options.stopGate;
      return stop(id, opts, ctx);
    },
  });
  const status = async (id: string) => (await driver.getContainer(id))?.status;
  return { clock, store, driver, status, calls: unit.calls };
}

const base = { sessionId: 's1', image: 'img' };

describe('lifetimes through the kit', () => {
  it('stamps the lifetime, stops at the end of the time to live and not before', async () => {
    const { clock, driver, status } = setup();
    const made = await driver.createContainer({ ...base, lifetime: { ttlMs: 5000 } });
    expect(JSON.parse(made.labels[LIFETIME_LABEL] ?? '{}')).toMatchObject({
      expiresAt: clock.now() + 5000,
      onExpiry: 'stop',
    });
    expect(made.lifetime?.expiresAt?.getTime()).toBe(clock.now() + 5000);
    await driver.startContainer(made.id);
    await clock.advance(4990);
    expect(await status(made.id)).toBe('running');
    await clock.advance(20);
    expect(await status(made.id)).toBe('stopped');
    await driver.close();
  });

  it('refuses to start an expired container until extendTtl; extensions add to the end', async () => {
    const { clock, driver, status } = setup();
    const made = await driver.createContainer({ ...base, lifetime: { ttlMs: 2000 } });
    await driver.startContainer(made.id);
    expect((await driver.extendTtl(made.id, 3000)).getTime()).toBe(clock.now() + 5000);
    await clock.advance(4000);
    expect(await status(made.id), 'the extension holds').toBe('running');
    await clock.advance(1100);
    expect(await status(made.id)).toBe('stopped');
    await expect(driver.startContainer(made.id)).rejects.toBeInstanceOf(ContainerExpiredError);
    await expect(driver.restartContainer(made.id)).rejects.toBeInstanceOf(ContainerExpiredError);
    expect((await driver.extendTtl(made.id, 1000)).getTime(), 'from now, once past').toBe(
      clock.now() + 1000,
    );
    await driver.startContainer(made.id);
    expect(await status(made.id)).toBe('running');
    await driver.close();
  });

  it('an idle timeout counts from the last use, only while running', async () => {
    const { clock, driver, status } = setup();
    const made = await driver.createContainer({ ...base, lifetime: { idleTimeoutMs: 3000 } });
    await clock.advance(10_000);
    expect(await status(made.id), 'never started: nothing to stop').toBe('created');
    await driver.startContainer(made.id);
    for (let i = 0; i < 5; i += 1) {
      await clock.advance(2000);
      await driver.exec(made.id, ['true']);
    }
    expect(await status(made.id), 'an exec every 2 s is use').toBe('running');
    await clock.advance(2900);
    expect(await status(made.id)).toBe('running');
    await clock.advance(200);
    expect(await status(made.id)).toBe('stopped');
    await driver.startContainer(made.id);
    expect(await status(made.id), 'an idle stop is no expiry').toBe('running');
    await driver.close();
  });

  it('removes on expiry when asked, started or not, and forgets the record', async () => {
    const { clock, driver, store } = setup();
    const made = await driver.createContainer({
      ...base,
      lifetime: { ttlMs: 1000, onExpiry: 'remove' },
    });
    expect(store.ids()).toEqual([made.id]);
    await clock.advance(1001);
    expect(await driver.getContainer(made.id)).toBeNull();
    expect(store.ids()).toEqual([]);
    await driver.close();
  });

  it('a container slow to stop does not hold back the next one', async () => {
    let release = (): void => undefined;
    const stopGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { clock, driver, status } = setup({ stopGate });
    const slow = await driver.createContainer({ ...base, lifetime: { ttlMs: 1000 } });
    const quick = await driver.createContainer({ ...base, lifetime: { ttlMs: 1500 } });
    await driver.startContainer(slow.id);
    await driver.startContainer(quick.id);
    await clock.advance(1600);
    expect(await status(quick.id)).toBe('stopped');
    expect(await status(slow.id), 'still stopping').toBe('running');
    release();
    await settle();
    expect(await status(slow.id)).toBe('stopped');
    await driver.close();
  });

  it('fails closed where lifetimes are not enforced, and lists them under best-effort', async () => {
    const unit = primitives({ lifetimes: true });
    const config = { ...base, lifetime: { ttlMs: 1000 } };
    const strict = defineDriver(unit.p);
    expect((await strict.capabilities()).lifetimes, 'no support, no capability').toBe(false);
    await expect(strict.createContainer(config)).rejects.toBeInstanceOf(UnsupportedFeatureError);
    expect(unit.calls, 'nothing made').toEqual([]);
    const weak = defineDriver(unit.p, { enforcement: 'best-effort' });
    const made = await weak.createContainer(config);
    expect(made.unenforced?.map((u) => u.feature)).toEqual(['lifetimes']);
    expect(made.labels[LIFETIME_LABEL]).toBeUndefined();
    await expect(weak.extendTtl(made.id, 1000)).rejects.toBeInstanceOf(UnsupportedFeatureError);
  });

  it('removes a container again when its lifetime cannot be recorded', async () => {
    const unit = primitives({ lifetimes: true });
    const store = new MemoryLifetimeStore();
    store.put = () => {
      throw new Error('EROFS: read-only file system');
    };
    const driver = defineDriver({ ...unit.p, lifetimes: { store } });
    const error = await driver
      .createContainer({ ...base, lifetime: { ttlMs: 5000 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerCreationError);
    expect(String(error)).toMatch(/EROFS.*state directory/);
    expect(unit.calls).toEqual(['create', 'remove c1']);
    expect(unit.containers.size, 'nothing left').toBe(0);
  });

  it('refuses bad lifetimes before anything is made, and extensions it cannot apply', async () => {
    const { driver, calls } = setup();
    for (const lifetime of [{}, { ttlMs: 999 }, { idleTimeoutMs: 1.5e12 }, { ttlMs: '5' }]) {
      await expect(
        driver.createContainer({ ...base, lifetime: lifetime as never }),
      ).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect(calls).toEqual([]);
    const idle = await driver.createContainer({ ...base, lifetime: { idleTimeoutMs: 5000 } });
    await expect(driver.extendTtl(idle.id, 1000)).rejects.toThrow(/no time to live/);
    await driver.close();
  });
});

describe('FileLifetimeStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-core-lifetimes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps records and last use across instances, and ignores what is not a record', async () => {
    const a = new FileLifetimeStore(join(dir, 'a'));
    const b = new FileLifetimeStore(join(dir, 'a'));
    const changes: number[] = [];
    const unwatch = b.watch(() => changes.push(1));
    a.put('c1', { expiresAt: 5000, idleTimeoutMs: null, onExpiry: 'remove' });
    expect(b.get('c1')).toEqual({ expiresAt: 5000, idleTimeoutMs: null, onExpiry: 'remove' });
    a.touch('c1', 1_700_000_000_000);
    expect(b.lastActivity('c1')).toBe(1_700_000_000_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes.length, 'a put is seen by a watcher elsewhere').toBeGreaterThan(0);
    unwatch();
    writeFileSync(join(dir, 'a', 'c2.json'), '{"expiresAt": "soon"');
    expect(b.get('c2'), 'a torn or edited record is no record').toBeUndefined();
    expect(b.ids().sort()).toEqual(['c1', 'c2']);
    b.remove('c1');
    expect(a.get('c1')).toBeUndefined();
    expect(a.lastActivity('c1')).toBeUndefined();
  });

  it('never takes an id for a path', () => {
    const store = new FileLifetimeStore(join(dir, 'b'));
    for (const id of ['../escape', '/etc/passwd', '', 'a/b']) {
      expect(() => store.put(id, { expiresAt: 1, idleTimeoutMs: null, onExpiry: 'stop' })).toThrow(
        /not a container id/,
      );
      expect(store.get(id)).toBeUndefined();
    }
  });
});

describe('runKeeperProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-core-keeper-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the lock alone while it runs, and lets go once nothing is left to enforce', async () => {
    const idle = {
      listContainers: async () => [],
      stopContainer: async () => undefined,
      removeContainer: async () => undefined,
      listProcesses: async () => [],
    };
    const store = new FileLifetimeStore(join(dir, 'lifetimes'));
    const started = Date.now();
    const first = runKeeperProcess(idle, { dir, store, processes: false, idleExitMs: 600 });
    expect(keeperRunning(dir), 'the lock is held by this process').toBe(true);
    await runKeeperProcess(idle, { dir, store, processes: false, idleExitMs: 600 });
    expect(Date.now() - started, 'a second keeper gives up at once').toBeLessThan(400);
    await first;
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(keeperRunning(dir), 'and the lock is gone with it').toBe(false);
  });
});
