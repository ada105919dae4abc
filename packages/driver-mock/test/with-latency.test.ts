import { ConfigurationError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { ManualClock, MockDockerDriver, withLatency } from '../src/index.js';
import { fakeDuration } from './support.js';

function setup(minMs: number, maxMs: number, seed?: number) {
  const clock = new ManualClock();
  const mock = new MockDockerDriver({ clock });
  const driver = withLatency(mock, {
    minMs,
    maxMs,
    clock,
    ...(seed === undefined ? {} : { seed }),
  });
  return { clock, mock, driver };
}

describe('withLatency over a mock', () => {
  it('waits the fixed time before the driver is called', async () => {
    const { clock, mock, driver } = setup(300, 300);
    let settled = false;
    const listing = driver.listContainers().then((list) => {
      settled = true;
      return list;
    });
    await clock.advance(299);
    expect(settled).toBe(false);
    expect(mock.calls).toEqual([]);
    await clock.advance(1);
    expect(await listing).toEqual([]);
    expect(mock.calls.map((c) => c.operation)).toEqual(['listContainers']);
  });

  it('stays within minMs..maxMs, varies, and repeats under a seed', async () => {
    const durations = async (seed: number) => {
      const { clock, driver } = setup(40, 80, seed);
      const taken: number[] = [];
      for (let i = 0; i < 12; i++)
        taken.push(await fakeDuration(clock, driver.healthCheck(), { stepMs: 1 }));
      return taken;
    };
    const first = await durations(11);
    for (const ms of first) {
      expect(ms).toBeGreaterThanOrEqual(40);
      expect(ms).toBeLessThanOrEqual(81);
    }
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(await durations(11)).toEqual(first);
    expect(await durations(12)).not.toEqual(first);
  });

  it('an abort during the wait rejects with the reason, and the driver is never called', async () => {
    const { clock, mock, driver } = setup(1_000, 1_000);
    const controller = new AbortController();
    const pending = driver.createContainer(
      { sessionId: 's', image: 'i' },
      { signal: controller.signal },
    );
    await clock.advance(500);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
    await clock.advance(1_000);
    expect(mock.calls).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('an already aborted call fails at once, without waiting', async () => {
    const { clock, driver } = setup(1_000, 1_000);
    const reason = new Error('too late');
    await expect(driver.healthCheck({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(clock.pending).toBe(0);
  });

  it('a stream waits once, when iteration starts, and aborts with its signal', async () => {
    const { clock, mock, driver } = setup(200, 200);
    const c = await mock.createContainer({ sessionId: 's', image: 'i', command: ['echo', 'x'] });
    await mock.startContainer(c.id);
    await mock.waitContainer(c.id);

    const stream = driver.streamLogs(c.id);
    await clock.advance(0);
    expect(clock.pending).toBe(0);
    const reading = (async () => {
      const lines: string[] = [];
      for await (const line of stream) lines.push(line.line);
      return lines;
    })();
    expect(await fakeDuration(clock, reading, { stepMs: 1 })).toBe(200);
    expect(await reading).toEqual(['x']);

    const controller = new AbortController();
    const aborted = (async () => {
      for await (const _ of driver.streamLogs(c.id, { signal: controller.signal })) {
        // nothing arrives: the wait is cut short
      }
    })();
    await clock.advance(100);
    controller.abort(new Error('stop reading'));
    await expect(aborted).rejects.toThrow('stop reading');
  });

  it('zero latency does not touch the clock', async () => {
    const { clock, driver } = setup(0, 0);
    await expect(driver.listVolumes()).resolves.toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('refuses bad ranges and clocks with one ConfigurationError listing each', () => {
    const mock = new MockDockerDriver();
    const error = (() => {
      try {
        withLatency(mock, { minMs: -1, maxMs: Number.NaN, clock: {} as never });
      } catch (e) {
        return e;
      }
    })() as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['minMs', 'maxMs', 'clock']);
    expect(() => withLatency(mock, { minMs: 5, maxMs: 1 })).toThrow(
      /maxMs: must be at least minMs/,
    );
    expect(() => withLatency(mock, undefined as never)).toThrow(/expected an options object/);
  });
});
