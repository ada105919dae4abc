import { ContainerStartError, NetworkError } from '@berth/core';
import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Recovery,
  type RecoveryOptions,
  type ServiceEvent,
  type ServiceFailure,
  SessionEvents,
} from '../src/index.js';
import { RECOVERY_EVENTS, recordEvents, SESSION, startService } from './support/mock-session.js';

const recoveries: Recovery[] = [];

afterEach(async () => {
  for (const recovery of recoveries.splice(0)) await recovery.stop();
  vi.restoreAllMocks();
});

/** A mock, a recovery on it, and a way to report a container dead the way the monitor does. */
async function setup(options: Partial<RecoveryOptions> = {}, command = ['sh', '-c', 'sleep 600']) {
  const clock = new ManualClock();
  const driver = new MockDockerDriver({ clock });
  const events = new SessionEvents();
  const recovery = new Recovery(driver, { events, clock, ...options });
  recoveries.push(recovery);
  recovery.start();
  const web = await startService(driver, 'web', { command });
  const base = (): ServiceEvent => ({
    sessionId: SESSION,
    containerId: web.id,
    service: 'web',
    driver: driver.name,
    at: new Date(clock.now()),
  });
  const died = () => events.emit('container:died', { ...base(), exitCode: 1 });
  const unhealthy = () => events.emit('container:unhealthy', base());
  const seen = recordEvents(events, RECOVERY_EVENTS);
  const log = () =>
    seen.map(({ event, payload }) => {
      const p = payload as { attempt?: number; delayMs?: number; restarts?: number };
      const detail =
        event === 'container:restarting'
          ? ` #${p.attempt} in ${p.delayMs}`
          : event === 'container:restarted'
            ? ` #${p.attempt}`
            : ` after ${p.restarts}`;
      return `${payload.at.getTime()} ${event}${detail}`;
    });
  const starts = () =>
    driver.calls
      .filter((call) => ['startContainer', 'restartContainer'].includes(call.operation))
      .map((call) => `${call.operation}:${call.outcome}`);
  return { clock, driver, events, recovery, web, died, unhealthy, seen, log, starts };
}

describe('Recovery restarts', () => {
  it('starts a dead container again after the first backoff, and says so', async () => {
    const { clock, driver, web, died, log, starts } = await setup({}, ['sh', '-c', 'exit 1']);
    driver.calls.length = 0;
    died();
    await clock.advance(999);
    expect(starts()).toEqual([]);
    await clock.advance(1);
    expect(log()).toEqual(['0 container:restarting #1 in 1000', '1000 container:restarted #1']);
    expect(starts()).toEqual(['startContainer:success']);
    expect((await driver.getContainer(web.id))?.startedAt).toEqual(new Date(1000));
  });

  it('restarts a running container reported unhealthy', async () => {
    const { clock, driver, web, unhealthy, starts } = await setup();
    driver.calls.length = 0;
    unhealthy();
    await clock.advance(1000);
    expect(starts()).toEqual(['restartContainer:success']);
    expect(await driver.getContainer(web.id)).toMatchObject({
      status: 'running',
      startedAt: new Date(1000),
    });
  });

  it('waits min(initial * factor^(n-1), max) before attempt n, a failed restart counting', async () => {
    const { clock, driver, died, log, starts } = await setup(
      { backoff: { initialMs: 1000, factor: 3, maxMs: 5000 }, budget: { restarts: 10 } },
      ['sh', '-c', 'exit 1'],
    );
    driver.calls.length = 0;
    driver.faults.failNext('startContainer', 3, () => new NetworkError('engine hiccup'));
    died();
    await clock.advance(60_000);
    expect(log()).toEqual([
      '0 container:restarting #1 in 1000',
      '1000 container:restarting #2 in 3000',
      '4000 container:restarting #3 in 5000',
      '9000 container:restarting #4 in 5000',
      '14000 container:restarted #4',
    ]);
    expect(starts()).toEqual([
      'startContainer:error',
      'startContainer:error',
      'startContainer:error',
      'startContainer:success',
    ]);
  });

  it('keeps counting attempts while the container keeps dying within the window', async () => {
    // Dies 1 s after each start: a crash loop, whose waits grow.
    const { clock, died, log } = await setup({ budget: { restarts: 10 } }, ['sh', '-c', 'exit 1']);
    died();
    await clock.advance(1000);
    died();
    await clock.advance(2000);
    died();
    await clock.advance(4000);
    expect(log()).toEqual([
      '0 container:restarting #1 in 1000',
      '1000 container:restarted #1',
      '1000 container:restarting #2 in 2000',
      '3000 container:restarted #2',
      '3000 container:restarting #3 in 4000',
      '7000 container:restarted #3',
    ]);
  });

  it('runs one recovery at a time per container: alarms while recovering are ignored', async () => {
    const { clock, driver, died, unhealthy, log, starts } = await setup({}, ['sh', '-c', 'exit 1']);
    driver.calls.length = 0;
    died();
    await clock.advance(500);
    died();
    unhealthy();
    await clock.advance(500);
    expect(log()).toEqual(['0 container:restarting #1 in 1000', '1000 container:restarted #1']);
    expect(starts()).toEqual(['startContainer:success']);
  });

  it('ignores events of another driver sharing the emitter', async () => {
    const { clock, events, web, log } = await setup();
    events.emit('container:died', {
      sessionId: SESSION,
      containerId: web.id,
      service: 'web',
      driver: 'docker',
      at: new Date(0),
      exitCode: 1,
    });
    await clock.advance(5000);
    expect(log()).toEqual([]);
  });

  it('gives up quietly on a container removed meanwhile', async () => {
    const { clock, driver, web, died, log } = await setup();
    died();
    await driver.removeContainer(web.id, { force: true });
    await clock.advance(5000);
    expect(log()).toEqual(['0 container:restarting #1 in 1000']);
  });
});

describe('Recovery budget', () => {
  it('declares the service failed past its restarts in the window, and refills after it', async () => {
    const failures: ServiceFailure[] = [];
    const { clock, died, log, seen } = await setup(
      {
        backoff: { initialMs: 100, factor: 1 },
        budget: { restarts: 2, windowMs: 10_000 },
        onFailed: (failure) => {
          failures.push(failure);
          return 'continue';
        },
      },
      ['sh', '-c', 'exit 1'],
    );
    died();
    await clock.advance(100);
    died();
    await clock.advance(100);
    died();
    await clock.advance(0);
    expect(log()).toEqual([
      '0 container:restarting #1 in 100',
      '100 container:restarted #1',
      '100 container:restarting #2 in 100',
      '200 container:restarted #2',
      '200 service:failed after 2',
    ]);
    const failed = seen[4]?.payload as ServiceFailure;
    expect(failed.reason).toBe(
      'web died (exit code 1) and has used up its restart budget (2 attempts within 10000 ms)',
    );
    expect(failures).toEqual([failed]);
    // At 10100 the restart made at 100 has left the window, the one at 200 not yet: one left.
    await clock.advance(9900);
    died();
    await clock.advance(100);
    died();
    await clock.advance(100);
    died();
    await clock.advance(0);
    expect(log().slice(5)).toEqual([
      '10100 container:restarting #2 in 100',
      '10200 container:restarted #2',
      '10200 container:restarting #2 in 100',
      '10300 container:restarted #2',
      '10300 service:failed after 2',
    ]);
    // A whole window without restarts: the full budget, and the shortest wait, again.
    await clock.advance(20_000);
    died();
    await clock.advance(100);
    expect(log().slice(10)).toEqual([
      '30300 container:restarting #1 in 100',
      '30400 container:restarted #1',
    ]);
    expect(failures).toHaveLength(2);
  });

  it('counts restarts that threw against the budget and names the last error', async () => {
    const { clock, driver, died, seen } = await setup({
      backoff: { initialMs: 10, factor: 1 },
      budget: { restarts: 3 },
    });
    driver.faults.failNext(
      'restartContainer',
      5,
      () => new ContainerStartError('x', 'no such file'),
    );
    died();
    await clock.advance(1000);
    expect(seen.map((e) => e.event)).toEqual([
      'container:restarting',
      'container:restarting',
      'container:restarting',
      'service:failed',
    ]);
    const failed = seen[3]?.payload as ServiceFailure;
    expect(failed.reason).toMatch(
      /^web died \(exit code 1\) and has used up its restart budget \(3 attempts within 60000 ms\); the last restart failed: .*no such file/,
    );
  });

  it("calls endSession once for a session whose services fail when onFailed says 'end-session'", async () => {
    const ended: string[] = [];
    let endedSession!: () => void;
    const done = new Promise<void>((resolve) => {
      endedSession = resolve;
    });
    const { clock, driver, events, died } = await setup({
      budget: { restarts: 0 },
      onFailed: async () => 'end-session' as const,
      endSession: async (sessionId) => {
        ended.push(sessionId);
        endedSession();
      },
    });
    const db = await startService(driver, 'db');
    died();
    events.emit('container:unhealthy', {
      sessionId: SESSION,
      containerId: db.id,
      service: 'db',
      driver: driver.name,
      at: new Date(clock.now()),
    });
    await done;
    await clock.advance(0);
    expect(ended).toEqual([SESSION]);
  });

  it("does not end the session for 'continue', and survives an onFailed that throws", async () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const endSession = vi.fn(async () => {});
    const { clock, died, seen } = await setup({
      budget: { restarts: 0 },
      onFailed: () => {
        throw new Error('hook broke');
      },
      endSession,
    });
    died();
    await clock.advance(0);
    died();
    await clock.advance(0);
    expect(seen.map((e) => e.event)).toEqual(['service:failed', 'service:failed']);
    expect(endSession).not.toHaveBeenCalled();
    expect(warning.mock.calls.map(([error]) => (error as Error).message)).toEqual([
      'hook broke',
      'hook broke',
    ]);
  });
});

describe('Recovery stop', () => {
  it('cancels a backoff under way, leaves nothing on the clock and emits nothing more', async () => {
    const { clock, driver, recovery, died, log, starts } = await setup();
    driver.calls.length = 0;
    died();
    expect(clock.pending).toBe(2); // the container's sleep and the backoff
    await recovery.stop();
    expect(recovery.running).toBe(false);
    expect(clock.pending).toBe(1);
    await clock.advance(60_000);
    died();
    await clock.advance(60_000);
    expect(log()).toEqual(['0 container:restarting #1 in 1000']);
    expect(starts()).toEqual([]);
  });
});
