import {
  ConfigurationError,
  isRetryableError,
  type LogLine,
  NetworkError,
  TimeoutError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { MockLocalDriver, withFaults } from '../src/index.js';

const config = { sessionId: 's', image: 'i' };

async function collect(lines: AsyncIterable<LogLine>): Promise<string[]> {
  const seen: string[] = [];
  for await (const line of lines) seen.push(line.line);
  return seen;
}

async function withLoggedContainer() {
  const mock = new MockLocalDriver();
  const c = await mock.createContainer({ ...config, command: ['sh', '-c', 'echo a; echo b'] });
  await mock.startContainer(c.id);
  await mock.waitContainer(c.id);
  mock.calls.length = 0;
  return { mock, id: c.id };
}

describe('withFaults over a mock', () => {
  it('has its own injector: the mock underneath is not faulted', async () => {
    const mock = new MockLocalDriver();
    const driver = withFaults(mock);
    expect(driver.faults).not.toBe(mock.faults);
    driver.faults.down();
    await expect(driver.listContainers()).rejects.toBeInstanceOf(NetworkError);
    await expect(mock.listContainers()).resolves.toEqual([]);
  });

  it('failNext fails before the call reaches the driver', async () => {
    const mock = new MockLocalDriver();
    const driver = withFaults(mock);
    driver.faults.failNext('createContainer', 2, () => new NetworkError('flaky'));
    await expect(driver.createContainer(config)).rejects.toThrow('flaky');
    await expect(driver.createContainer(config)).rejects.toThrow('flaky');
    expect(mock.calls).toEqual([]);
    const made = await driver.createContainer(config);
    expect((await mock.listContainers()).map((c) => c.id)).toEqual([made.id]);
  });

  it('succeedThenFail lets the call take effect, then throws', async () => {
    const mock = new MockLocalDriver();
    const driver = withFaults(mock);
    driver.faults.succeedThenFail('createContainer', () => new TimeoutError('createContainer', 1));
    await expect(driver.createContainer(config)).rejects.toBeInstanceOf(TimeoutError);
    expect(await mock.listContainers()).toHaveLength(1);
    expect(mock.calls.map((c) => c.outcome)).toEqual(['success', 'success']);
  });

  it('rates repeat under the same seed and differ under another', async () => {
    const pattern = async (seed: number) => {
      const driver = withFaults(new MockLocalDriver(), { seed });
      driver.faults.failRate('*', 0.5, () => new NetworkError('x'));
      const results: boolean[] = [];
      for (let i = 0; i < 64; i++) {
        results.push(
          await driver.healthCheck().then(
            () => true,
            () => false,
          ),
        );
      }
      return results;
    };
    const first = await pattern(3);
    expect(await pattern(3)).toEqual(first);
    expect(await pattern(4)).not.toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('draws the same failures as a mock given the same seed', async () => {
    const outcomes = async (driver: MockLocalDriver | ReturnType<typeof withFaults>) => {
      driver.faults.failRate('listContainers', 0.3, () => new NetworkError('x'));
      const results: boolean[] = [];
      for (let i = 0; i < 32; i++) {
        results.push(
          await driver.listContainers().then(
            () => true,
            () => false,
          ),
        );
      }
      return results;
    };
    const layered = await outcomes(withFaults(new MockLocalDriver(), { seed: 9 }));
    expect(await outcomes(new MockLocalDriver({ seed: 9 }))).toEqual(layered);
  });

  it('down() fails every operation, streams included, until up()', async () => {
    const { mock, id } = await withLoggedContainer();
    const driver = withFaults(mock);
    driver.faults.down();
    expect(driver.faults.isDown).toBe(true);
    for (const call of [
      () => driver.getContainer(id),
      () => driver.exec(id, ['true']),
      () => driver.capabilities(),
      () => collect(driver.streamLogs(id)),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(isRetryableError(error)).toBe(true);
      expect((error as Error).message).toMatch(/mock-local is down/);
    }
    expect(mock.calls).toEqual([]);
    driver.faults.up();
    expect(await collect(driver.streamLogs(id))).toEqual(['a', 'b']);
  });

  it('faults a stream when iteration starts, not when streamLogs is called', async () => {
    const { mock, id } = await withLoggedContainer();
    const driver = withFaults(mock);
    driver.faults.failNext('streamLogs', 1, () => new NetworkError('stream broke'));
    const unread = driver.streamLogs(id);
    const read = driver.streamLogs(id);
    await expect(collect(read)).rejects.toThrow('stream broke');
    // The first stream was never started, so it did not take the fault.
    expect(await collect(unread)).toEqual(['a', 'b']);
  });

  it('succeedThenFail on a stream delivers every line, then throws instead of ending', async () => {
    const { mock, id } = await withLoggedContainer();
    const driver = withFaults(mock);
    driver.faults.succeedThenFail('streamLogs', () => new NetworkError('cut at the end'));
    const seen: string[] = [];
    const error = await (async () => {
      for await (const line of driver.streamLogs(id)) seen.push(line.line);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['a', 'b']);
    expect(error).toBeInstanceOf(NetworkError);
    expect(await collect(driver.streamLogs(id))).toEqual(['a', 'b']);
  });

  it('an already aborted call fails with its reason and leaves the fault for the next', async () => {
    const driver = withFaults(new MockLocalDriver());
    driver.faults.failNext('listContainers', 1, () => new NetworkError('later'));
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(driver.listContainers({}, { signal: controller.signal })).rejects.toThrow(
      'gave up',
    );
    await expect(driver.listContainers()).rejects.toThrow('later');
  });

  it('refuses what is not a driver, bad options and misspelt faults with ConfigurationError', async () => {
    expect(() => withFaults({} as never)).toThrow(ConfigurationError);
    expect(() => withFaults({} as never)).toThrow(/lacks createContainer, startContainer/);
    expect(() => withFaults(new MockLocalDriver(), { seed: 'x' as never })).toThrow(
      /seed: must be a finite number/,
    );
    const { faults } = withFaults(new MockLocalDriver());
    const misspelt = (() =>
      faults.failNext('createContaner' as never, 1, new Error('x'))) as () => void;
    expect(misspelt).toThrow(ConfigurationError);
    expect(misspelt).toThrow(/operation: must be a contract operation/);
    expect(() => faults.failNext('*', -1, new Error('x'))).toThrow(/count: must be a whole number/);
    expect(() => faults.succeedThenFail('exec', 'boom' as never)).toThrow(
      /error: must be an Error or a function/,
    );
  });
});
