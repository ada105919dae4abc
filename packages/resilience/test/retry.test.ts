import {
  ContainerNotFoundError,
  DriverError,
  type DriverMiddleware,
  NetworkError,
  TimeoutError,
  wrapDriver,
} from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDEMPOTENCY_LABEL, RetryError, type RetryInfo, resilient } from '../src/index.js';

const config = { sessionId: 's', image: 'busybox' };
const flaky = () => new NetworkError('engine hiccup');

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Settles `promise` while moving fake time forward in small steps. */
async function settle<T>(promise: Promise<T>, stepMs = 10, maxMs = 60_000): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => {});
  for (let t = 0; !done && t < maxMs; t += stepMs) await vi.advanceTimersByTimeAsync(stepMs);
  return tracked;
}

function attemptsOf(mock: MockDockerDriver, operation: string) {
  return mock.calls.filter((c) => c.operation === operation).length;
}

describe('withRetry', () => {
  it('retries retryable failures on the default 100, 200, 400 ms schedule', async () => {
    const mock = new MockDockerDriver();
    mock.faults.failNext('listContainers', 3, flaky);
    const retries: RetryInfo[] = [];
    const driver = resilient(mock, { breaker: false, retry: { onRetry: (i) => retries.push(i) } });
    const events: number[] = [];
    driver.resilience.on('retry', (e) => events.push(e.attempt));

    const result = driver.listContainers();
    await vi.advanceTimersByTimeAsync(0);
    expect(attemptsOf(mock, 'listContainers')).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(attemptsOf(mock, 'listContainers')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attemptsOf(mock, 'listContainers')).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(attemptsOf(mock, 'listContainers')).toBe(3);
    await vi.advanceTimersByTimeAsync(400);
    expect(await result).toEqual([]);
    expect(attemptsOf(mock, 'listContainers')).toBe(4);
    expect(retries.map((r) => [r.attempt, r.delayMs, r.error.code])).toEqual([
      [1, 100, 'NETWORK_ERROR'],
      [2, 200, 'NETWORK_ERROR'],
      [3, 400, 'NETWORK_ERROR'],
    ]);
    expect(events).toEqual([1, 2, 3]);
  });

  it('does not retry errors that are not retryable', async () => {
    const mock = new MockDockerDriver();
    const driver = resilient(mock, { breaker: false });
    const error = await settle(driver.startContainer('missing').catch((e) => e));
    expect(error).toBeInstanceOf(ContainerNotFoundError);
    expect(attemptsOf(mock, 'startContainer')).toBe(1);
  });

  it('gives up after the retries with the attempt count and the last cause', async () => {
    const mock = new MockDockerDriver();
    let n = 0;
    mock.faults.failNext('getContainer', 10, () => new NetworkError(`failure ${++n}`));
    const driver = resilient(mock, { breaker: false });
    const error = await settle(driver.getContainer('x').catch((e) => e));
    expect(error).toBeInstanceOf(RetryError);
    expect(error).toMatchObject({ code: 'RETRIES_EXHAUSTED', retryable: false, attempts: 4 });
    expect(error.cause).toBeInstanceOf(NetworkError);
    expect(error.cause.message).toBe('failure 4');
    expect(attemptsOf(mock, 'getContainer')).toBe(4);
  });

  it('jitter spreads each delay over one to two times its base', async () => {
    const mock = new MockDockerDriver();
    mock.faults.failNext('healthCheck', 3, flaky);
    const delays: number[] = [];
    const driver = resilient(mock, {
      breaker: false,
      retry: { jitter: true, onRetry: (i) => delays.push(i.delayMs) },
    });
    await settle(driver.healthCheck());
    expect(delays).toHaveLength(3);
    [100, 200, 400].forEach((base, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(base);
      expect(delays[i]).toBeLessThanOrEqual(base * 2);
    });
  });

  it("the caller's AbortSignal stops the wait at once", async () => {
    const mock = new MockDockerDriver();
    mock.faults.failNext('listContainers', 10, flaky);
    const driver = resilient(mock, { breaker: false, retry: { minTimeoutMs: 10_000 } });
    const controller = new AbortController();
    const pending = driver.listContainers({}, { signal: controller.signal }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(new Error('caller deadline'));
    const error = await pending;
    expect((error as Error).message).toBe('caller deadline');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(attemptsOf(mock, 'listContainers')).toBe(1);
  });

  it('normalises thrown values that are not DriverErrors before deciding', async () => {
    const mock = new MockDockerDriver();
    let calls = 0;
    const transport: DriverMiddleware = async (call, next) => {
      if (call.operation === 'listVolumes' && calls++ === 0) {
        throw { code: 'ECONNRESET', message: 'socket reset by peer' };
      }
      if (call.operation === 'listNetworks') throw 'plain string';
      return next();
    };
    const driver = resilient(wrapDriver(mock, transport), { breaker: false });
    expect(await settle(driver.listVolumes())).toEqual([]);
    expect(calls).toBe(2);
    const error = await settle(driver.listNetworks().catch((e) => e));
    expect(error).toBeInstanceOf(DriverError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_ERROR',
      message: 'plain string',
      retryable: false,
    });
  });

  it('never retries exec or streams', async () => {
    const mock = new MockDockerDriver();
    const driver = resilient(mock, { breaker: false });
    const c = await driver.createContainer(config);
    await driver.startContainer(c.id);
    mock.faults.failNext('exec', 1, flaky).failNext('streamLogs', 1, flaky);
    await expect(settle(driver.exec(c.id, ['true']))).rejects.toBeInstanceOf(NetworkError);
    expect(attemptsOf(mock, 'exec')).toBe(1);
    const reading = (async () => {
      for await (const _ of driver.streamLogs(c.id)) {
        // nothing
      }
    })();
    await expect(settle(reading)).rejects.toBeInstanceOf(NetworkError);
    expect(attemptsOf(mock, 'streamLogs')).toBe(1);
  });

  it('enforces a per-attempt timeout through the signal, combined with the caller’s', async () => {
    const mock = new MockDockerDriver({ timing: { minMs: 1_000, maxMs: 1_000 } });
    const driver = resilient(mock, {
      breaker: false,
      retry: { attemptTimeoutMs: 200, retries: 2 },
    });
    const error = await settle(driver.listContainers().catch((e) => e));
    expect(error).toBeInstanceOf(RetryError);
    expect(error.cause).toBeInstanceOf(TimeoutError);
    expect(error.attempts).toBe(3);
    // Each attempt was cancelled in the driver, not left running.
    const listCalls = mock.calls.filter((c) => c.operation === 'listContainers');
    expect(listCalls.map((c) => c.outcome)).toEqual(['error', 'error', 'error']);
    expect(listCalls.every((c) => c.error instanceof TimeoutError)).toBe(true);

    const controller = new AbortController();
    const slow = resilient(mock, { breaker: false, retry: { attemptTimeoutMs: 5_000 } });
    const pending = slow.listContainers({}, { signal: controller.signal }).catch((e) => e);
    setTimeout(() => controller.abort(new Error('deadline')), 300);
    expect(((await settle(pending)) as Error).message).toBe('deadline');
  });

  it('a retry budget stops a dead backend from multiplying its load', async () => {
    const run = async (budget: false | undefined) => {
      const mock = new MockDockerDriver();
      mock.faults.down();
      const driver = resilient(mock, { breaker: false, retry: budget === false ? { budget } : {} });
      const exhausted: string[] = [];
      driver.resilience.on('budget:exhausted', (e) => exhausted.push(e.operation));
      for (let i = 0; i < 20; i++) await settle(driver.listContainers().catch(() => undefined));
      return { attempts: attemptsOf(mock, 'listContainers'), exhausted: exhausted.length };
    };
    expect(await run(false)).toEqual({ attempts: 80, exhausted: 0 });
    const limited = await run(undefined);
    expect(limited.attempts).toBe(23);
    expect(limited.exhausted).toBe(19);
  });
});

describe('making non-idempotent operations safe', () => {
  it('a create whose reply was lost is found by its idempotency label, not made twice', async () => {
    const mock = new MockDockerDriver();
    mock.faults.succeedThenFail(
      'createContainer',
      () => new TimeoutError('createContainer', 5_000),
    );
    const driver = resilient(mock, { breaker: false });
    const recovered: string[] = [];
    driver.resilience.on('recovered', (e) => recovered.push(e.id));
    const created = await settle(driver.createContainer({ ...config, name: 'web' }));
    const all = await mock.listContainers();
    expect(all).toHaveLength(1);
    expect(created.id).toBe(all[0]?.id);
    expect(created.labels[IDEMPOTENCY_LABEL]).toEqual(expect.any(String));
    expect(recovered).toEqual([created.id]);
    expect(attemptsOf(mock, 'createContainer')).toBe(1);
  });

  it('a create that failed before taking effect is simply made again, once', async () => {
    const mock = new MockDockerDriver();
    mock.faults.failNext('createContainer', 2, flaky);
    const driver = resilient(mock, { breaker: false });
    await settle(driver.createContainer(config));
    expect(await mock.listContainers()).toHaveLength(1);
    expect(attemptsOf(mock, 'createContainer')).toBe(3);
  });

  it('each create call gets its own key', async () => {
    const driver = resilient(new MockDockerDriver(), { breaker: false });
    const a = await driver.createContainer(config);
    const b = await driver.createContainer(config);
    expect(a.labels[IDEMPOTENCY_LABEL]).not.toBe(b.labels[IDEMPOTENCY_LABEL]);
  });

  it('remove, stop and start whose replies were lost count as done on the next attempt', async () => {
    const mock = new MockDockerDriver();
    const driver = resilient(mock, { breaker: false });
    const a = await driver.createContainer(config);
    mock.faults.succeedThenFail('startContainer', flaky);
    await settle(driver.startContainer(a.id));
    expect((await mock.getContainer(a.id))?.status).toBe('running');
    mock.faults.succeedThenFail('stopContainer', flaky);
    await settle(driver.stopContainer(a.id));
    expect((await mock.getContainer(a.id))?.status).toBe('exited');
    mock.faults.succeedThenFail('removeContainer', flaky);
    await settle(driver.removeContainer(a.id));
    expect(await mock.getContainer(a.id)).toBeNull();
    // A plain not-found on the first attempt is still an error.
    await expect(settle(driver.removeContainer(a.id))).rejects.toBeInstanceOf(
      ContainerNotFoundError,
    );
  });

  it('volumes and networks whose create reply was lost are found by name', async () => {
    const mock = new MockDockerDriver();
    const driver = resilient(mock, { breaker: false });
    mock.faults.succeedThenFail('createNetwork', flaky);
    const network = await settle(driver.createNetwork({ name: 'backend' }));
    expect((await mock.listNetworks()).map((n) => n.id)).toEqual([network.id]);
    mock.faults.succeedThenFail('createVolume', flaky);
    await settle(driver.createVolume({ name: 'data' }));
    expect(await mock.listVolumes()).toHaveLength(1);
  });
});
