import { ContainerNotFoundError, isRetryableError, NetworkError, TimeoutError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { MockDockerDriver, MockLocalDriver } from '../src/index.js';

const config = { sessionId: 's', image: 'i' };

describe('fault injection', () => {
  it('failNext throws for the next N calls, before any effect', async () => {
    const driver = new MockDockerDriver();
    driver.faults.failNext('createContainer', 2, () => new NetworkError('flaky'));
    await expect(driver.createContainer(config)).rejects.toBeInstanceOf(NetworkError);
    await expect(driver.createContainer(config)).rejects.toBeInstanceOf(NetworkError);
    expect(await driver.listContainers()).toEqual([]);
    const c = await driver.createContainer(config);
    expect((await driver.listContainers()).map((x) => x.id)).toEqual([c.id]);
  });

  it('a factory makes a fresh error each time; an instance is thrown as is', async () => {
    const driver = new MockDockerDriver();
    const same = new NetworkError('same');
    driver.faults.failNext('listContainers', 2, same);
    expect(await driver.listContainers().catch((e) => e)).toBe(same);
    expect(await driver.listContainers().catch((e) => e)).toBe(same);
    driver.faults.failNext('listContainers', 2, () => new NetworkError('fresh'));
    const a = await driver.listContainers().catch((e) => e);
    const b = await driver.listContainers().catch((e) => e);
    expect(a).not.toBe(b);
  });

  it('succeedThenFail takes effect but reports the error (a lost reply)', async () => {
    const driver = new MockDockerDriver();
    driver.faults.succeedThenFail(
      'createContainer',
      () => new TimeoutError('createContainer', 5000),
    );
    const error = await driver
      .createContainer({ ...config, labels: { key: 'k1' } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    const listed = await driver.listContainers({ label: { key: 'k1' } });
    expect(listed).toHaveLength(1);
    expect(await driver.createContainer(config)).toMatchObject({ status: 'created' });
  });

  it('failRate is deterministic under a seed and close to the rate', async () => {
    const outcomes = async (seed: number) => {
      const driver = new MockLocalDriver({ seed });
      driver.faults.failRate('listContainers', 0.3, () => new NetworkError('x'));
      const results: boolean[] = [];
      for (let i = 0; i < 400; i++)
        results.push(
          await driver.listContainers().then(
            () => true,
            () => false,
          ),
        );
      return results;
    };
    const first = await outcomes(5);
    expect(await outcomes(5)).toEqual(first);
    expect(await outcomes(6)).not.toEqual(first);
    const failures = first.filter((ok) => !ok).length;
    expect(failures).toBeGreaterThan(80);
    expect(failures).toBeLessThan(160);
    expect(() => new MockLocalDriver().faults.failRate('exec', 2, new Error('x'))).toThrow(
      RangeError,
    );
  });

  it('down() fails every call with a retryable NetworkError until up()', async () => {
    const driver = new MockDockerDriver();
    const c = await driver.createContainer(config);
    driver.faults.down();
    for (const call of [
      () => driver.getContainer(c.id),
      () => driver.healthCheck(),
      () => driver.createContainer(config),
      () => driver.capabilities(),
    ]) {
      const error = await call().catch((e) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(isRetryableError(error)).toBe(true);
    }
    driver.faults.up();
    expect((await driver.getContainer(c.id))?.id).toBe(c.id);
    expect(await driver.listContainers()).toHaveLength(1);
  });

  it("'*' targets every operation, and clear() removes all faults", async () => {
    const driver = new MockDockerDriver();
    driver.faults.failNext('*', 1, () => new NetworkError('any'));
    await expect(driver.healthCheck()).rejects.toBeInstanceOf(NetworkError);
    await expect(driver.healthCheck()).resolves.toMatchObject({ status: 'healthy' });
    driver.faults.failRate('*', 1, () => new NetworkError('all')).down();
    driver.faults.clear();
    await expect(driver.listContainers()).resolves.toEqual([]);
  });

  it('records every call with its arguments, outcome and time', async () => {
    const driver = new MockDockerDriver();
    const c = await driver.createContainer(config);
    await driver.startContainer('missing').catch(() => undefined);
    await driver.startContainer(c.id);
    expect(driver.calls.map((call) => [call.operation, call.outcome])).toEqual([
      ['createContainer', 'success'],
      ['startContainer', 'error'],
      ['startContainer', 'success'],
    ]);
    expect(driver.calls[1]?.error).toBeInstanceOf(ContainerNotFoundError);
    expect(driver.calls[0]?.args[0]).toEqual(config);
    expect(driver.calls[0]?.at).toBeInstanceOf(Date);
    driver.reset();
    expect(driver.calls).toEqual([]);
    expect(await driver.listContainers()).toEqual([]);
  });
});
