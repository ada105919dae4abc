import { NetworkError } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, resilient } from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const breaker = { failureThreshold: 3, rollingWindowMs: 10_000, resetTimeoutMs: 5_000 };

function setup(options: Partial<typeof breaker> & { perOperation?: boolean } = {}) {
  const mock = new MockDockerDriver({ timing: { minMs: 100, maxMs: 100 } });
  const driver = resilient(mock, { retry: false, breaker: { ...breaker, ...options } });
  const transitions: string[] = [];
  for (const event of ['open', 'halfOpen', 'close'] as const) {
    driver.circuit.on(event, () => transitions.push(event));
  }
  return { mock, driver, transitions };
}

async function run<T>(promise: Promise<T>): Promise<T | unknown> {
  const settled = promise.then(
    (v) => v,
    (e: unknown) => e,
  );
  await vi.advanceTimersByTimeAsync(100);
  return settled;
}

describe('withCircuitBreaker', () => {
  it('opens at the failure threshold within the window and then rejects at once', async () => {
    const { mock, driver, transitions } = setup();
    mock.faults.down();
    for (let i = 0; i < 2; i++)
      expect(await run(driver.listContainers())).toBeInstanceOf(NetworkError);
    expect(driver.circuit.state).toBe('closed');
    expect(await run(driver.listContainers())).toBeInstanceOf(NetworkError);
    expect(driver.circuit.state).toBe('open');
    expect(transitions).toEqual(['open']);

    const before = mock.calls.length;
    const rejected = await driver.getContainer('x').catch((e) => e);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect(rejected).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: false });
    expect(mock.calls.length).toBe(before);
    expect(driver.circuit.stats()).toMatchObject({
      state: 'open',
      failures: 3,
      rejects: 1,
      opens: 1,
    });
  });

  it('failures spread wider than the window do not open it', async () => {
    const { mock, driver } = setup();
    mock.faults.down();
    await run(driver.listContainers());
    await run(driver.listContainers());
    await vi.advanceTimersByTimeAsync(10_001);
    await run(driver.listContainers());
    expect(driver.circuit.state).toBe('closed');
    expect(driver.circuit.stats().recentFailures).toBe(1);
  });

  it('half-opens after the reset timeout, lets one probe through, and closes on its success', async () => {
    const { mock, driver, transitions } = setup();
    mock.faults.down();
    // A down driver fails at once, so the circuit opens at this instant.
    for (let i = 0; i < 3; i++) await driver.listContainers().catch(() => undefined);
    mock.faults.up();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(driver.circuit.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(driver.circuit.state).toBe('halfOpen');

    const probe = driver.listContainers();
    const second = driver.listContainers().catch((e) => e);
    expect(await second).toBeInstanceOf(CircuitOpenError);
    await vi.advanceTimersByTimeAsync(100);
    expect(await probe).toEqual([]);
    expect(driver.circuit.state).toBe('closed');
    expect(transitions).toEqual(['open', 'halfOpen', 'close']);
    expect(await run(driver.listContainers())).toEqual([]);
  });

  it('opens again when the probe fails', async () => {
    const { mock, driver, transitions } = setup();
    mock.faults.down();
    for (let i = 0; i < 3; i++) await run(driver.listContainers());
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await run(driver.listContainers())).toBeInstanceOf(NetworkError);
    expect(driver.circuit.state).toBe('open');
    expect(transitions).toEqual(['open', 'halfOpen', 'open']);
  });

  it('errors about the request do not count as backend failures', async () => {
    const { driver } = setup();
    for (let i = 0; i < 10; i++) await run(driver.startContainer(`missing-${i}`));
    for (let i = 0; i < 5; i++) await run(driver.createContainer({ sessionId: '', image: '' }));
    expect(driver.circuit.state).toBe('closed');
    expect(driver.circuit.stats().failures).toBe(0);
  });

  it('per operation, one failing operation does not block the others', async () => {
    const { mock, driver } = setup({ perOperation: true });
    mock.faults.failNext('listContainers', 3, () => new NetworkError('list broken'));
    for (let i = 0; i < 3; i++) await run(driver.listContainers());
    expect(driver.circuit.stateOf('listContainers')).toBe('open');
    expect(driver.circuit.stateOf('getContainer')).toBe('closed');
    expect(await run(driver.getContainer('x'))).toBeNull();
    expect(await driver.listContainers().catch((e) => e)).toBeInstanceOf(CircuitOpenError);
  });

  it('refuses streams while open', async () => {
    const { mock, driver } = setup();
    mock.faults.down();
    for (let i = 0; i < 3; i++) await run(driver.listContainers());
    const reading = (async () => {
      for await (const _ of driver.streamLogs('x')) {
        // nothing
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(CircuitOpenError);
  });
});

describe('resilient: retries outside, breaker inside', () => {
  it('an opening circuit stops the retries of the call in flight', async () => {
    const mock = new MockDockerDriver();
    mock.faults.down();
    const driver = resilient(mock, { breaker: { failureThreshold: 2, resetTimeoutMs: 60_000 } });
    const pending = driver.listContainers().catch((e) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    const error = await pending;
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(mock.calls.filter((c) => c.operation === 'listContainers')).toHaveLength(2);
    driver.shutdown();
  });

  it('passes the driver’s own members through', () => {
    const mock = new MockDockerDriver();
    const driver = resilient(mock);
    expect(driver.faults).toBe(mock.faults);
    expect(driver.name).toBe('mock-docker');
    driver.shutdown();
  });

  it('with both off it is the plain driver behind the same API', async () => {
    const mock = new MockDockerDriver();
    mock.faults.failNext('listContainers', 1, () => new NetworkError('x'));
    const driver = resilient(mock, { retry: false, breaker: false });
    await expect(driver.listContainers()).rejects.toBeInstanceOf(NetworkError);
    expect(driver.circuit.state).toBe('closed');
  });
});

describe('shutdown', () => {
  it('clears every timer and refuses later calls', async () => {
    const mock = new MockDockerDriver();
    mock.faults.down();
    const driver = resilient(mock, {
      retry: false,
      breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 },
    });
    await driver.listContainers().catch(() => undefined);
    expect(driver.circuit.state).toBe('open');
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    driver.shutdown();
    expect(vi.getTimerCount()).toBe(0);
    await expect(driver.getContainer('x')).rejects.toBeInstanceOf(CircuitOpenError);
  });
});
