import { type DriverMiddleware, NetworkError, wrapDriver } from '@berth/core';
import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HealthAlert, HealthMonitor, SERVICE_LABEL } from '../src/index.js';
import {
  MONITOR_EVENTS,
  recordEvents,
  SESSION,
  startService,
  timeline,
} from './support/mock-session.js';

const monitors: HealthMonitor[] = [];

function watch(...args: ConstructorParameters<typeof HealthMonitor>): HealthMonitor {
  const monitor = new HealthMonitor(...args);
  monitors.push(monitor);
  return monitor;
}

afterEach(async () => {
  for (const monitor of monitors.splice(0)) await monitor.stop();
  vi.restoreAllMocks();
});

/** A mock whose `flaky` image answers its health probes (one per second) in this order. */
function flakyDriver(clock: ManualClock, health: boolean[]) {
  return new MockDockerDriver({ clock, programs: { images: { flaky: { health } } } });
}

const probeEverySecond = { command: ['true'], intervalMs: 1000, retries: 1 };

describe('HealthMonitor transitions', () => {
  it('reports each change once, the first observation included, and never a repeat', async () => {
    const clock = new ManualClock();
    const driver = flakyDriver(clock, [true, true, false, false, false, true]);
    const web = await startService(driver, 'web', {
      image: 'flaky',
      healthcheck: probeEverySecond,
    });
    const monitor = watch(driver, { sessionId: SESSION, clock });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    // Rounds half-way between probes, so each sees the probe before it.
    await clock.advance(500);
    for (let round = 0; round < 7; round++) {
      await monitor.checkNow();
      await clock.advance(1000);
    }
    expect(timeline(seen)).toEqual([
      'driver:healthy @500',
      'container:healthy web @500',
      'container:unhealthy web @2500',
      'container:healthy web @5500',
    ]);
    expect(seen[1]?.payload).toEqual({
      sessionId: SESSION,
      containerId: web.id,
      service: 'web',
      driver: 'mock-docker',
      at: new Date(500),
    });
  });

  it('runs a round at start and then one every intervalMs, on the clock it is given', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const monitor = watch(driver, { clock, intervalMs: 5000 });
    const rounds = () => driver.calls.filter((call) => call.operation === 'healthCheck').length;
    monitor.start();
    monitor.start(); // idempotent: still one loop
    await clock.advance(0);
    expect(rounds()).toBe(1);
    await clock.advance(4999);
    expect(rounds()).toBe(1);
    await clock.advance(1);
    expect(rounds()).toBe(2);
    await clock.advance(10_000);
    expect(rounds()).toBe(4);
    expect(monitor.running).toBe(true);
  });

  it('watches only its session, or every container of the driver without one', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    await startService(driver, 'web');
    await startService(driver, 'other', { sessionId: 'session-2' });
    const mine = watch(driver, { sessionId: SESSION, clock });
    const all = watch(driver, { clock });
    const mineSeen = recordEvents(mine.events, ['container:healthy']);
    const allSeen = recordEvents(all.events, ['container:healthy']);
    await Promise.all([mine.checkNow(), all.checkNow()]);
    expect(timeline(mineSeen)).toEqual(['container:healthy web @0']);
    expect(timeline(allSeen).sort()).toEqual([
      'container:healthy other @0',
      'container:healthy web @0',
    ]);
    expect(
      allSeen.find((e) => 'service' in e.payload && e.payload.service === 'other')?.payload,
    ).toMatchObject({ sessionId: 'session-2' });
  });

  it('names the service by its label, else by the container name', async () => {
    const driver = new MockDockerDriver();
    const unlabelled = await driver.createContainer({
      sessionId: SESSION,
      image: 'busybox',
      name: 'plain-box',
    });
    await driver.startContainer(unlabelled.id);
    const labelled = await startService(driver, 'db');
    const monitor = watch(driver, { sessionId: SESSION });
    const seen = recordEvents(monitor.events, ['container:healthy']);
    await monitor.checkNow();
    const services = Object.fromEntries(
      seen.map(({ payload }) => [
        'containerId' in payload ? payload.containerId : '',
        'service' in payload ? payload.service : '',
      ]),
    );
    expect(services).toEqual({ [unlabelled.id]: 'plain-box', [labelled.id]: 'db' });
    expect(labelled.labels[SERVICE_LABEL]).toBe('db');
  });

  it('does not report a health check still starting, then reports how it ends', async () => {
    let starting = true;
    // The mock decides its first probe at start; a real engine takes a while: make it show.
    const stillStarting: DriverMiddleware = async (call, next) => {
      const result = await next();
      if (call.operation !== 'listContainers' || !starting) return result;
      return (result as { health?: string }[]).map((c) => ({
        ...c,
        health: 'starting',
      })) as typeof result;
    };
    const driver = new MockDockerDriver({ programs: { images: { flaky: { health: [false] } } } });
    await startService(driver, 'web', { image: 'flaky', healthcheck: probeEverySecond });
    const monitor = watch(wrapDriver(driver, stillStarting), { sessionId: SESSION });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    await monitor.checkNow();
    await monitor.checkNow();
    starting = false;
    await monitor.checkNow();
    expect(seen.map((e) => e.event)).toEqual(['driver:healthy', 'container:unhealthy']);
  });
});

describe('HealthMonitor and the driver', () => {
  it('reports the driver going down and coming back once each, and alerts on down', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    await startService(driver, 'web');
    const alerts: HealthAlert[] = [];
    const monitor = watch(driver, { sessionId: SESSION, clock, onAlert: (a) => alerts.push(a) });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    await monitor.checkNow();
    driver.faults.down();
    await clock.advance(1000);
    await monitor.checkNow();
    await monitor.checkNow();
    driver.faults.up();
    await clock.advance(1000);
    await monitor.checkNow();
    await monitor.checkNow();
    expect(timeline(seen)).toEqual([
      'driver:healthy @0',
      'container:healthy web @0',
      'driver:unhealthy @1000',
      'driver:healthy @2000',
    ]);
    const down = seen[2]?.payload as { error?: string; sessionId?: string };
    expect(down.error).toMatch(/^healthCheck failed: .+/);
    expect(down.sessionId).toBe(SESSION);
    expect(alerts.map((a) => a.type)).toEqual(['driver:unhealthy']);
    expect(alerts[0]).toMatchObject({ driver: 'mock-docker', error: down.error });
  });

  it('counts a health check that times out, and one listing that fails, as the driver down', async () => {
    const clock = new ManualClock();
    // Every call takes 3 s of the clock: past the 2 s the monitor waits for each.
    const slow = new MockDockerDriver({ clock, timing: { minMs: 3000, maxMs: 3000 } });
    const monitor = watch(slow, { clock, timeoutMs: 2000 });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    const round = monitor.checkNow();
    await clock.advance(2000);
    await round;
    expect(seen.map((e) => [e.event, (e.payload as { error?: string }).error])).toEqual([
      ['driver:unhealthy', 'healthCheck failed: Operation healthCheck timed out after 2000 ms'],
    ]);
    // Nothing of the round is left waiting on the clock: its calls were cancelled.
    expect(clock.pending).toBe(0);

    const driver = new MockDockerDriver();
    const listing = watch(driver);
    const listed = recordEvents(listing.events, MONITOR_EVENTS);
    driver.faults.failNext('listContainers', 1, () => new NetworkError('engine gone'));
    await listing.checkNow();
    await listing.checkNow();
    expect(listed.map((e) => [e.event, (e.payload as { error?: string }).error])).toEqual([
      ['driver:unhealthy', 'listContainers failed: engine gone'],
      ['driver:healthy', undefined],
    ]);
  });

  it('reports a container that died while the driver was down once it is back', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const web = await startService(driver, 'web', { command: ['sh', '-c', 'sleep 10; exit 3'] });
    const monitor = watch(driver, { sessionId: SESSION, clock });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    await monitor.checkNow();
    driver.faults.down();
    await clock.advance(10_000);
    await monitor.checkNow();
    driver.faults.up();
    await monitor.checkNow();
    expect(timeline(seen)).toEqual([
      'driver:healthy @0',
      'container:healthy web @0',
      'driver:unhealthy @10000',
      'driver:healthy @10000',
      'container:died web @10000',
    ]);
    expect(seen[4]?.payload).toMatchObject({ containerId: web.id, exitCode: 3 });
  });
});
