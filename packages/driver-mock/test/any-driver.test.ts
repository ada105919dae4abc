import { ContainerNotFoundError, NetworkError, TimeoutError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { ManualClock, recordCalls, withFaults, withLatency } from '../src/index.js';
import { HandWrittenDriver } from './fixtures/hand-written-driver.js';
import { settle } from './support.js';

const config = { sessionId: 's', image: 'i' };

function stack() {
  const clock = new ManualClock();
  const inner = new HandWrittenDriver();
  const driver = recordCalls(withFaults(withLatency(inner, { minMs: 10, maxMs: 10, clock })), {
    clock,
  });
  return { clock, inner, driver };
}

describe('the middleware on a driver that is not a mock', () => {
  it('composes: every contract call is delayed, faultable and recorded', async () => {
    const { clock, inner, driver } = stack();
    const c = await settle(clock, driver.createContainer(config));
    await settle(clock, driver.startContainer(c.id));
    expect(await settle(clock, driver.exec(c.id, ['echo', 'hi']))).toMatchObject({
      stdout: 'echo hi',
    });
    expect(await settle(clock, driver.isContainerHealthy(c.id))).toBe(true);
    expect(inner.countContainers()).toBe(1);
    expect(driver.calls.map((call) => call.operation)).toEqual([
      'createContainer',
      'startContainer',
      'exec',
      'isContainerHealthy',
    ]);
    // Each took the 10 ms of the latency layer below the recorder.
    for (const call of driver.calls) {
      expect(call.settledAt!.getTime() - call.at.getTime()).toBe(10);
    }
  });

  it('faults outside latency fail at once; succeedThenFail still reaches the driver', async () => {
    const { clock, inner, driver } = stack();
    driver.faults.failNext('createContainer', 1, () => new NetworkError('refused'));
    await expect(driver.createContainer(config)).rejects.toThrow('refused');
    expect(clock.pending).toBe(0);
    driver.faults.succeedThenFail('createContainer', () => new TimeoutError('createContainer', 10));
    await expect(settle(clock, driver.createContainer(config))).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(inner.countContainers()).toBe(1);
  });

  it('streams: faults and latency when iteration starts, the outcome when it ends', async () => {
    const { clock, driver } = stack();
    const c = await settle(clock, driver.createContainer(config));
    const read = async (id: string) => {
      const lines: string[] = [];
      for await (const line of driver.streamLogs(id)) lines.push(line.line);
      return lines;
    };
    expect(await settle(clock, read(c.id))).toEqual(['one', 'two', 'three']);
    await expect(settle(clock, read('missing'))).rejects.toBeInstanceOf(ContainerNotFoundError);
    driver.faults.down();
    await expect(read(c.id)).rejects.toBeInstanceOf(NetworkError);
    expect(driver.calls.slice(1).map((call) => [call.operation, call.outcome])).toEqual([
      ['streamLogs', 'success'],
      ['streamLogs', 'error'],
      ['streamLogs', 'error'],
    ]);
  });

  it('a synchronous throw from the driver is a recorded rejection', async () => {
    const driver = recordCalls(new HandWrittenDriver());
    const pending = driver.exec('missing', ['true']);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect(driver.calls).toMatchObject([{ operation: 'exec', outcome: 'error' }]);
  });

  it("keeps the driver's own members reachable and typed, bypassing the layers", async () => {
    const { clock, inner, driver } = stack();
    expect(driver).toBeInstanceOf(HandWrittenDriver);
    expect(driver.name).toBe('hand-written');
    expect(driver.version).toBe('1.2.3');
    expect('faults' in driver && 'calls' in driver).toBe(true);
    await settle(clock, driver.createContainer(config));
    driver.faults.down();
    // Not a contract operation: called on the driver itself, so neither faulted nor recorded.
    expect(driver.countContainers()).toBe(1);
    driver.lines = ['changed'];
    expect(inner.lines).toEqual(['changed']);
    expect(driver.calls).toHaveLength(1);
  });
});
