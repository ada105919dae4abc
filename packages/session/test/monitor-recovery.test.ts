import { ConfigurationError } from '@berth/core';
import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { HealthMonitor, Recovery, SessionEvents } from '../src/index.js';
import {
  MONITOR_EVENTS,
  RECOVERY_EVENTS,
  recordEvents,
  SESSION,
  startService,
  timeline,
} from './support/mock-session.js';

describe('HealthMonitor and Recovery together', () => {
  it('bring a crashed container back: died, restarting, restarted, healthy', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    // Crashes 2.5 s after every start.
    const worker = await startService(driver, 'worker', {
      command: ['sh', '-c', 'sleep 2.5; exit 7'],
    });
    const monitor = new HealthMonitor(driver, { sessionId: SESSION, clock, intervalMs: 1000 });
    const recovery = new Recovery(driver, { events: monitor.events, clock });
    const seen = recordEvents(monitor.events, [...MONITOR_EVENTS, ...RECOVERY_EVENTS]);
    recovery.start();
    monitor.start();
    // Rounds at 0, 1000, 2000, 3000 (sees it dead), 4000 (restarted at 4000, sees it running).
    for (let t = 0; t < 5; t++) await clock.advance(t === 0 ? 0 : 1000);
    await monitor.stop();
    await recovery.stop();
    expect(timeline(seen)).toEqual([
      'driver:healthy @0',
      'container:healthy worker @0',
      'container:died worker @3000',
      'container:restarting worker @3000',
      'container:restarted worker @4000',
      'container:healthy worker @4000',
    ]);
    expect(await driver.getContainer(worker.id)).toMatchObject({
      status: 'running',
      startedAt: new Date(4000),
    });
    expect(clock.pending).toBe(1); // the container's own sleep, nothing of ours
  });
});

describe('Recovery options', () => {
  it('refuses bad options with one ConfigurationError listing each problem', () => {
    const driver = new MockDockerDriver();
    let error: unknown;
    try {
      new Recovery(driver, {
        events: new SessionEvents(),
        backoff: { initialMs: 5000, factor: 0.5, maxMs: 1000, jitter: true },
        budget: { restarts: -1, windowMs: 0 },
        onFailed: 'end-session',
      } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const { message, issues } = error as ConfigurationError;
    expect(message).toContain(
      'backoff.jitter: is not an option; the options are initialMs, factor, maxMs',
    );
    expect(message).toContain('backoff.factor: must be a number of at least 1, got 0.5');
    expect(message).toContain('backoff.maxMs: must be at least initialMs (5000)');
    expect(message).toContain('budget.restarts: must be a whole number of at least 0, got -1');
    expect(message).toContain('budget.windowMs: must be a number of milliseconds above 0, got 0');
    expect(message).toContain('onFailed: must be a function');
    expect(issues.map((issue) => issue.path.join('.'))).toEqual([
      'backoff.jitter',
      'backoff.factor',
      'backoff.maxMs',
      'budget.restarts',
      'budget.windowMs',
      'onFailed',
    ]);
  });

  it('needs the events to act on', () => {
    const driver = new MockDockerDriver();
    expect(() => new Recovery(driver, {} as never)).toThrow(
      /events: is required: pass the SessionEvents the HealthMonitor emits on \(monitor\.events\)/,
    );
    expect(() => new Recovery(driver, undefined as never)).toThrow(ConfigurationError);
    expect(() => new Recovery({ name: 'x' } as never, { events: new SessionEvents() })).toThrow(
      /without getContainer, startContainer, restartContainer/,
    );
  });
});
