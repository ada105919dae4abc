import { ConfigurationError, NetworkError, TimeoutError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MockDockerDriver,
  MockLocalDriver,
  recordCalls,
  withFaults,
} from '../src/index.js';

const config = { sessionId: 's', image: 'i' };

describe("the mocks' own layers", () => {
  it('an injected failure is immediate; a call that reaches the host takes the latency', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock, timing: { minMs: 100, maxMs: 100 } });
    driver.faults.failNext('listContainers', 1, () => new NetworkError('x'));
    await expect(driver.listContainers()).rejects.toBeInstanceOf(NetworkError);
    expect(clock.pending).toBe(0);

    driver.faults.succeedThenFail('createContainer', () => new TimeoutError('create', 100));
    let settled = false;
    const creating = driver.createContainer(config).finally(() => {
      settled = true;
    });
    creating.catch(() => undefined);
    await clock.advance(99);
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(creating).rejects.toBeInstanceOf(TimeoutError);
    expect(driver.calls.map((c) => [c.operation, c.outcome])).toEqual([
      ['listContainers', 'error'],
      ['createContainer', 'error'],
    ]);
  });

  it('stamps calls with the injected clock', async () => {
    const clock = new ManualClock(1_000);
    const driver = new MockLocalDriver({ clock });
    await driver.healthCheck();
    expect(driver.calls[0]).toMatchObject({ at: new Date(1_000), settledAt: new Date(1_000) });
  });

  it('wrapping a mock again shadows its controls with the outer layer’s', async () => {
    const mock = new MockDockerDriver();
    const driver = recordCalls(withFaults(mock));
    expect(driver.faults).not.toBe(mock.faults);
    expect(driver.calls).not.toBe(mock.calls);
    mock.faults.failNext('healthCheck', 1, () => new NetworkError('inner'));
    await expect(driver.healthCheck()).rejects.toThrow('inner');
    expect(driver.calls).toMatchObject([{ operation: 'healthCheck', outcome: 'error' }]);
    expect(mock.calls).toMatchObject([{ operation: 'healthCheck', outcome: 'error' }]);
    // The mock's own members stay reachable through the layers.
    driver.reset();
    expect(mock.calls).toEqual([]);
  });

  it('refuses a malformed timing, seed or clock with a ConfigurationError', () => {
    for (const options of [
      { timing: 'slow' },
      { timing: { minMs: 200, maxMs: 100 } },
      { timing: { minMs: -5, maxMs: 10 } },
      { seed: Number.NaN },
      { clock: { now: () => 0 } },
    ]) {
      expect(() => new MockDockerDriver(options as never)).toThrow(ConfigurationError);
    }
    expect(() => new MockLocalDriver({ timing: 'slow' as never })).toThrow(
      /Invalid mock-local options:\n {2}- timing: must be 'instant', 'realistic' or \{ minMs, maxMs \}/,
    );
  });
});
