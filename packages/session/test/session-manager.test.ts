import { ConfigurationError, NetworkError, ResourceLimitError } from '@berth/core';
import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import {
  SERVICE_LABEL,
  SessionEvents,
  SessionManager,
  type SessionSpec,
  SessionStartError,
} from '../src/index.js';

const LONG = ['sh', '-c', 'sleep 600'];

/** A database that turns healthy on its third probe, an api needing it, an independent worker. */
function threeServices(): SessionSpec {
  return {
    services: {
      db: {
        config: {
          image: 'db:1',
          command: LONG,
          healthcheck: { command: ['check'], intervalMs: 1000, retries: 5 },
          volumes: [{ source: 'data', target: '/data' }],
          network: 'backend',
        },
      },
      api: {
        config: {
          image: 'api:1',
          command: LONG,
          network: 'backend',
          volumes: [{ source: 'data', target: '/data', readOnly: true }],
        },
        dependsOn: ['db'],
      },
      worker: { config: { image: 'worker:1', command: LONG } },
    },
    volumes: { data: {} },
    networks: { backend: {} },
  };
}

function setup(extra: ConstructorParameters<typeof MockDockerDriver>[0] = {}) {
  const clock = new ManualClock();
  const driver = new MockDockerDriver({
    clock,
    programs: { images: { 'db:1': { health: [false, false, true] } } },
    ...extra,
  });
  const events = new SessionEvents();
  const seen: string[] = [];
  for (const name of ['container:created', 'container:started', 'container:ready'] as const) {
    events.on(name, (e) => seen.push(`${name.split(':')[1]} ${e.service}`));
  }
  const manager = new SessionManager(driver, { clock, events, readinessPollMs: 100 });
  return { clock, driver, events, seen, manager };
}

/** Moves fake time on until `work` settles; past 100 s of it, fails saying so. */
async function drive<T>(clock: ManualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 2000 && !settled; i++) await clock.advance(50);
  if (!settled) {
    // Awaiting `done` now would hang until the test's own timeout, without a word of why.
    done.catch(() => undefined);
    throw new Error(
      `still pending after 100 s of fake time (${clock.pending} sleeps waiting on the clock)`,
    );
  }
  return done;
}

async function leftovers(driver: MockDockerDriver, sessionId: string) {
  return {
    containers: (await driver.listContainers({ sessionId })).length,
    volumes: (await driver.listVolumes()).filter((v) => v.sessionId === sessionId).length,
    networks: (await driver.listNetworks()).filter((n) => n.sessionId === sessionId).length,
  };
}

describe('SessionManager on a mock with fake time', () => {
  it('starts services in dependency order, independent ones together, gated on readiness', async () => {
    const { clock, driver, seen, manager } = setup();
    const session = await drive(clock, manager.start({ ...threeServices(), id: 'order' }));
    // Created in dependency order (level by level); the worker starts with the db, the api only
    // once the db is healthy.
    expect(seen.slice(0, 3)).toEqual(['created db', 'created worker', 'created api']);
    const started = seen.filter((e) => e.startsWith('started'));
    expect(seen.indexOf('started worker')).toBeLessThan(seen.indexOf('ready db'));
    expect(seen.indexOf('started api')).toBeGreaterThan(seen.indexOf('ready db'));
    expect(started).toHaveLength(3);
    // The api waited for the db's third probe: two intervals of the health check.
    const db = await driver.getContainer(session.containerOf('db'));
    expect(db?.health).toBe('healthy');
    expect(Object.keys(session.services).sort()).toEqual(['api', 'db', 'worker']);
    const api = await driver.getContainer(session.containerOf('api'));
    expect(api?.labels[SERVICE_LABEL]).toBe('api');
    expect(api?.sessionId).toBe('order');
    expect(session.networks).toEqual(['order-backend']);
    expect(session.volumes).toEqual(['order-data']);
    await drive(clock, session.end());
    expect(await leftovers(driver, 'order')).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });

  it('refuses a cycle, an unknown dependency or a missing volume before making anything', async () => {
    const { driver, manager } = setup();
    const spec = threeServices();
    spec.services.db = { ...spec.services.db, dependsOn: ['api'] } as never;
    spec.services.worker = { config: { image: 'w', command: LONG }, dependsOn: ['nobody'] };
    const error = await manager.start({ ...spec, id: 'bad' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain("unknown service 'nobody'");
    const cycle = threeServices();
    cycle.services.db = { ...cycle.services.db, dependsOn: ['api'] } as never;
    await expect(manager.start({ ...cycle, id: 'cycle' })).rejects.toThrow(
      /dependency cycle among: db, api/,
    );
    const missing = threeServices();
    missing.volumes = {};
    await expect(manager.start({ ...missing, id: 'nov' })).rejects.toThrow(
      /not a volume of this session: 'data'/,
    );
    expect(driver.calls.filter((c) => c.operation.startsWith('create'))).toEqual([]);
  });

  for (const [step, operation, skip] of [
    ['the network', 'createNetwork', 0],
    ['the volume', 'createVolume', 0],
    ['the second container', 'createContainer', 1],
    ['the first start', 'startContainer', 0],
    ['a dependent start', 'startContainer', 2],
  ] as const) {
    it(`rolls back everything when ${step} fails, and says what it removed`, async () => {
      const { clock, driver, manager } = setup();
      const failures = { count: 0 };
      // Let `skip` calls through, then fail one.
      let seenCalls = 0;
      const inner = driver[operation].bind(driver) as (...args: unknown[]) => Promise<unknown>;
      (driver as unknown as Record<string, unknown>)[operation] = (...args: unknown[]) => {
        if (seenCalls++ === skip) {
          failures.count++;
          return Promise.reject(new NetworkError(`${operation} failed on purpose`));
        }
        return inner(...args);
      };
      const error = await drive(
        clock,
        manager.start({ ...threeServices(), id: `rb-${operation}-${skip}` }),
      ).catch((e: unknown) => e);
      expect(failures.count).toBe(1);
      expect(error).toBeInstanceOf(SessionStartError);
      const failed = error as SessionStartError;
      expect(failed.cause).toBeInstanceOf(NetworkError);
      expect(failed.retryable).toBe(true);
      expect(failed.leftBehind).toEqual([]);
      expect(await leftovers(driver, `rb-${operation}-${skip}`)).toEqual({
        containers: 0,
        volumes: 0,
        networks: 0,
      });
      if (operation !== 'createNetwork')
        expect(failed.rolledBack).toContain(`network rb-${operation}-${skip}-backend`);
    });
  }

  it('rolls back when a service ends before it is ready, or is not ready in time', async () => {
    const { clock, driver, manager } = setup();
    const crashing = threeServices();
    crashing.services.worker = { config: { image: 'w', command: ['sh', '-c', 'exit 3'] } };
    const error = await drive(clock, manager.start({ ...crashing, id: 'crash' })).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /service 'worker' ended \(exit 3\) before it was ready/,
    );
    expect(await leftovers(driver, 'crash')).toEqual({ containers: 0, volumes: 0, networks: 0 });
    const slow = threeServices();
    slow.services.db = { ...slow.services.db, readyTimeoutMs: 500 } as never;
    const late = await drive(clock, manager.start({ ...slow, id: 'slow' })).catch(
      (e: unknown) => e,
    );
    expect((late as Error).message).toMatch(/readiness of service 'db' timed out after 500 ms/);
    expect(await leftovers(driver, 'slow')).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });

  it('refuses a session its pool cannot hold before making anything', async () => {
    const { driver, clock, events } = setup();
    const pool = {
      reserve: async () => {
        throw new ResourceLimitError('cpu', 1, 1.5);
      },
    };
    const manager = new SessionManager(driver, { pool, clock, events });
    await expect(manager.start({ ...threeServices(), id: 'big' })).rejects.toBeInstanceOf(
      ResourceLimitError,
    );
    expect(driver.calls.filter((c) => c.operation.startsWith('create'))).toEqual([]);
  });

  it('ends by itself when its ttl passes, or when it has been idle too long', async () => {
    const { clock, driver, manager, events } = setup();
    const ended: string[] = [];
    events.on('session:ended', (e) => ended.push(`${e.sessionId} ${e.reason}`));
    const spec = { services: { only: { config: { image: 'x', command: LONG } } } };
    const ttl = await drive(clock, manager.start({ ...spec, id: 'ttl', ttlMs: 5000 }));
    const idle = await drive(clock, manager.start({ ...spec, id: 'idle', idleMs: 3000 }));
    await clock.advance(2800);
    idle.touch();
    await clock.advance(1700);
    expect(ended).toEqual([]);
    await clock.advance(1000);
    expect(ended).toEqual(['ttl ttl']);
    expect(ttl.ended).toBe('ttl');
    await clock.advance(1000);
    expect(ended).toEqual(['ttl ttl', 'idle idle']);
    expect(await leftovers(driver, 'ttl')).toEqual({ containers: 0, volumes: 0, networks: 0 });
    expect(await leftovers(driver, 'idle')).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });

  it('attaches to a session by its labels, from another manager, and ends it there', async () => {
    const { clock, driver, manager } = setup();
    const started = await drive(clock, manager.start({ ...threeServices(), id: 'attach' }));
    const other = new SessionManager(driver, { clock });
    const attached = await other.attach('attach');
    expect(attached.services).toEqual(started.services);
    expect(attached.networks).toEqual(['attach-backend']);
    expect(attached.volumes).toEqual(['attach-data']);
    await drive(clock, attached.end());
    expect(await leftovers(driver, 'attach')).toEqual({ containers: 0, volumes: 0, networks: 0 });
    await expect(other.attach('attach')).rejects.toThrow(/No session "attach"/);
  });
});
