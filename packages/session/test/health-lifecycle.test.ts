import { ConfigurationError } from '@berth/core';
import { ManualClock, MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HealthAlert, HealthMonitor, realClock } from '../src/index.js';
import {
  MONITOR_EVENTS,
  recordEvents,
  SESSION,
  startService,
  timeline,
} from './support/mock-session.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('HealthMonitor died detection', () => {
  it('reports a container that was running and ended, once, with its exit code', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const worker = await startService(driver, 'worker', {
      command: ['sh', '-c', 'sleep 10; exit 3'],
    });
    const alerts: HealthAlert[] = [];
    const monitor = new HealthMonitor(driver, {
      sessionId: SESSION,
      clock,
      onAlert: (a) => alerts.push(a),
    });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    await monitor.checkNow();
    await clock.advance(10_000);
    await monitor.checkNow();
    await monitor.checkNow();
    expect(timeline(seen)).toEqual([
      'driver:healthy @0',
      'container:healthy worker @0',
      'container:died worker @10000',
    ]);
    expect(seen[2]?.payload).toEqual({
      sessionId: SESSION,
      containerId: worker.id,
      service: 'worker',
      driver: 'mock-docker',
      at: new Date(10_000),
      exitCode: 3,
    });
    expect(alerts).toEqual([{ type: 'container:died', ...seen[2]?.payload }]);
  });

  it('does not report one already ended when first seen, stopped on purpose, or removed', async () => {
    const clock = new ManualClock();
    // mock-local, like the local driver, tells a stop (`stopped`) from an exit (`exited`).
    const driver = new MockLocalDriver({ clock });
    await startService(driver, 'job', { command: ['sh', '-c', 'exit 0'] });
    const stopped = await startService(driver, 'stopped');
    const removed = await startService(driver, 'removed');
    const monitor = new HealthMonitor(driver, { sessionId: SESSION, clock });
    const seen = recordEvents(monitor.events, ['container:died', 'container:unhealthy']);
    await monitor.checkNow();
    await driver.stopContainer(stopped.id);
    await driver.removeContainer(removed.id, { force: true });
    await monitor.checkNow();
    expect(seen).toEqual([]);
  });

  it('reports a container that was restarted and died again between two rounds', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const worker = await startService(driver, 'worker', {
      command: ['sh', '-c', 'sleep 1; exit 1'],
    });
    const monitor = new HealthMonitor(driver, { sessionId: SESSION, clock });
    const seen = recordEvents(monitor.events, ['container:died']);
    await monitor.checkNow();
    await clock.advance(1000);
    await monitor.checkNow();
    // Started again and ended again before the monitor looked: a new run that died.
    await driver.startContainer(worker.id);
    await clock.advance(1000);
    await monitor.checkNow();
    expect(timeline(seen)).toEqual(['container:died worker @1000', 'container:died worker @2000']);
  });

  it('reports a restarted container that is still unhealthy again', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({
      clock,
      programs: { images: { sick: { health: [false] } } },
    });
    const web = await startService(driver, 'web', {
      image: 'sick',
      healthcheck: { command: ['true'], intervalMs: 1000, retries: 1 },
    });
    const monitor = new HealthMonitor(driver, { sessionId: SESSION, clock });
    const seen = recordEvents(monitor.events, ['container:unhealthy']);
    await monitor.checkNow();
    await monitor.checkNow();
    await clock.advance(1000);
    await driver.restartContainer(web.id);
    await monitor.checkNow();
    expect(timeline(seen)).toEqual(['container:unhealthy web @0', 'container:unhealthy web @1000']);
  });
});

describe('HealthMonitor alert hook', () => {
  it('keeps monitoring when onAlert throws or rejects, and says so as a warning', async () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    let calls = 0;
    const monitor = new HealthMonitor(driver, {
      clock,
      onAlert: (() => {
        calls += 1;
        if (calls === 1) throw new Error('pager down');
        return Promise.reject(new Error('pager still down'));
      }) as (alert: HealthAlert) => void,
    });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    driver.faults.down();
    await monitor.checkNow();
    driver.faults.up();
    await monitor.checkNow();
    driver.faults.down();
    await monitor.checkNow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((e) => e.event)).toEqual([
      'driver:unhealthy',
      'driver:healthy',
      'driver:unhealthy',
    ]);
    expect(calls).toBe(2);
    expect(warning.mock.calls.map(([error]) => (error as Error).message)).toEqual([
      'pager down',
      'pager still down',
    ]);
  });
});

describe('HealthMonitor stop', () => {
  it('leaves no timer behind, real time included', async () => {
    vi.useFakeTimers();
    const driver = new MockDockerDriver();
    await startService(driver, 'web');
    // The container's own `sleep 600` is a timer of the mock's: count the monitor's apart.
    const before = vi.getTimerCount();
    const monitor = new HealthMonitor(driver, { clock: realClock, intervalMs: 1000 });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    monitor.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(seen.map((e) => e.event)).toEqual(['driver:healthy', 'container:healthy']);
    expect(vi.getTimerCount()).toBe(before + 1); // the wait for the next round
    await monitor.stop();
    expect(monitor.running).toBe(false);
    expect(vi.getTimerCount()).toBe(before);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toHaveLength(2);
  });

  it('cancels a round under way, waits for it, and emits nothing after', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock, timing: { minMs: 1000, maxMs: 1000 } });
    const monitor = new HealthMonitor(driver, { clock, timeoutMs: 5000 });
    const seen = recordEvents(monitor.events, MONITOR_EVENTS);
    monitor.start();
    await clock.advance(500);
    expect(clock.pending).toBeGreaterThan(0); // the health check and its deadline
    const round = monitor.checkNow();
    await monitor.stop();
    await round;
    expect(clock.pending).toBe(0);
    await clock.advance(10_000);
    expect(seen).toEqual([]);
    expect(driver.calls.map((call) => call.operation)).toEqual(['healthCheck']);
  });

  it('can be started again after stop', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const monitor = new HealthMonitor(driver, { clock, intervalMs: 1000 });
    const seen = recordEvents(monitor.events, ['driver:healthy', 'driver:unhealthy']);
    monitor.start();
    await clock.advance(0);
    await monitor.stop();
    driver.faults.down();
    monitor.start();
    await clock.advance(0);
    await monitor.stop();
    expect(seen.map((e) => e.event)).toEqual(['driver:healthy', 'driver:unhealthy']);
    expect(clock.pending).toBe(0);
  });
});

describe('HealthMonitor options', () => {
  it('refuses bad options with one ConfigurationError listing each problem and its fix', () => {
    const driver = new MockDockerDriver();
    const build = () =>
      new HealthMonitor(driver, {
        intervalMs: 0,
        timeoutMs: -5,
        sessionId: '',
        clock: {} as never,
        events: {} as never,
        onAlert: 'page me' as never,
        interval: 10,
      } as never);
    expect(build).toThrow(ConfigurationError);
    const message = (() => {
      try {
        build();
      } catch (error) {
        return (error as ConfigurationError).message;
      }
      return '';
    })();
    expect(message).toContain('interval: is not an option; the options are sessionId, intervalMs');
    expect(message).toContain('intervalMs: must be a number of milliseconds above 0, got 0');
    expect(message).toContain('timeoutMs: must be a number of milliseconds above 0, got -5');
    expect(message).toContain('sessionId: must be a non-empty string');
    expect(message).toContain('clock: must be a SessionClock');
    expect(message).toContain('events: must be a SessionEvents');
    expect(message).toContain('onAlert: must be a function, got "page me"');
  });

  it('refuses what is not a driver', () => {
    expect(() => new HealthMonitor({} as never)).toThrow(
      /HealthMonitor needs a ContainerDriver .* without healthCheck, listContainers, isContainerHealthy/,
    );
    expect(() => new HealthMonitor(undefined as never)).toThrow(ConfigurationError);
  });
});
