import { ContainerNotFoundError, LogLinesLostError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { ManualClock, MockDockerDriver, recordCalls, withLatency } from '../src/index.js';

const config = { sessionId: 's', image: 'i' };

describe('recordCalls over a mock', () => {
  it('records each call in order with its arguments, outcome, error and times', async () => {
    const clock = new ManualClock(5_000);
    const driver = recordCalls(new MockDockerDriver({ clock }), { clock });
    const c = await driver.createContainer(config);
    const missing = await driver.startContainer('missing').catch((e: unknown) => e);
    await driver.exec(c.id, ['true']).catch(() => undefined);

    expect(driver.calls.map((call) => [call.operation, call.outcome])).toEqual([
      ['createContainer', 'success'],
      ['startContainer', 'error'],
      ['exec', 'error'],
    ]);
    expect(driver.calls[0]?.args).toEqual([config]);
    expect(driver.calls[1]?.error).toBe(missing);
    expect(missing).toBeInstanceOf(ContainerNotFoundError);
    expect(driver.calls[2]?.args).toEqual([c.id, ['true']]);
    expect(driver.calls[0]?.at).toEqual(new Date(5_000));
    expect(driver.calls[0]?.settledAt).toEqual(new Date(5_000));
  });

  it('a call is pending until it settles', async () => {
    const clock = new ManualClock();
    const driver = recordCalls(
      withLatency(new MockDockerDriver(), { minMs: 50, maxMs: 50, clock }),
      {
        clock,
      },
    );
    const listing = driver.listContainers();
    expect(driver.calls).toMatchObject([{ operation: 'listContainers', outcome: 'pending' }]);
    expect(driver.calls[0]?.settledAt).toBeUndefined();
    await clock.advance(50);
    await listing;
    expect(driver.calls[0]).toMatchObject({ outcome: 'success', settledAt: new Date(50) });
  });

  it('a stream is recorded when iteration starts and settles when it ends', async () => {
    const mock = new MockDockerDriver();
    const driver = recordCalls(mock);
    const c = await mock.createContainer({ ...config, command: ['sh', '-c', 'echo 1; echo 2'] });
    await mock.startContainer(c.id);
    await mock.waitContainer(c.id);

    const stream = driver.streamLogs(c.id);
    expect(driver.calls).toEqual([]);
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.line).toBe('1');
    expect(driver.calls).toMatchObject([{ operation: 'streamLogs', outcome: 'pending' }]);
    expect((await iterator.next()).value?.line).toBe('2');
    expect((await iterator.next()).done).toBe(true);
    expect(driver.calls[0]).toMatchObject({ outcome: 'success', args: [c.id] });
  });

  it('a reader that stops early settles the stream as a success', async () => {
    const mock = new MockDockerDriver();
    const driver = recordCalls(mock);
    const c = await mock.createContainer({ ...config, command: ['sh', '-c', 'echo 1; echo 2'] });
    await mock.startContainer(c.id);
    await mock.waitContainer(c.id);
    for await (const _ of driver.streamLogs(c.id)) break;
    expect(driver.calls).toMatchObject([{ operation: 'streamLogs', outcome: 'success' }]);
  });

  it('a stream that throws, at once or midway, is recorded as an error with it', async () => {
    const mock = new MockDockerDriver();
    const driver = recordCalls(mock);
    const missing = (async () => {
      for await (const _ of driver.streamLogs('missing')) {
        // never reached
      }
    })();
    await expect(missing).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect(driver.calls[0]).toMatchObject({ operation: 'streamLogs', outcome: 'error' });
    expect(driver.calls[0]?.error).toBeInstanceOf(ContainerNotFoundError);

    // Midway: the log rotates away lines the follower has not read yet.
    const clock = new ManualClock();
    const host = new MockDockerDriver({ clock });
    const following = recordCalls(host);
    const c = await host.createContainer({
      ...config,
      command: ['sh', '-c', 'echo 1; sleep 1; echo 2; echo 3; sleep 100'],
    });
    await host.startContainer(c.id);
    const lines = following.streamLogs(c.id, { follow: true })[Symbol.asyncIterator]();
    expect((await lines.next()).value?.line).toBe('1');
    await clock.advance(1_000);
    expect(host.rotateLogs(c.id, 0)).toBe(3);
    await expect(lines.next()).rejects.toBeInstanceOf(LogLinesLostError);
    expect(following.calls).toMatchObject([{ operation: 'streamLogs', outcome: 'error' }]);
    await host.removeContainer(c.id, { force: true });
  });

  it('emptying calls starts the record over', async () => {
    const driver = recordCalls(new MockDockerDriver());
    await driver.healthCheck();
    driver.calls.length = 0;
    await driver.listNetworks();
    expect(driver.calls.map((c) => c.operation)).toEqual(['listNetworks']);
  });
});
