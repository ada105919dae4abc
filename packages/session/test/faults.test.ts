import { NetworkError } from '@berth/core';
import { MockDockerDriver, withFaults } from '@berth/driver-mock';
import { resilient } from '@berth/resilience';
import { describe, expect, it } from 'vitest';
import { SessionManager, SessionStartError } from '../src/index.js';

const spec = (id: string) => ({
  id,
  services: {
    db: { config: { image: 'db', command: ['sh', '-c', 'sleep 600'], network: 'net' } },
    api: {
      config: { image: 'api', command: ['sh', '-c', 'sleep 600'], network: 'net' },
      dependsOn: ['db'],
    },
    worker: { config: { image: 'w', command: ['sh', '-c', 'sleep 600'] } },
  },
  networks: { net: {} },
});

async function everything(driver: MockDockerDriver, sessionId: string) {
  return [
    ...(await driver.listContainers({ sessionId })).map((c) => c.id),
    ...(await driver.listNetworks()).filter((n) => n.sessionId === sessionId).map((n) => n.name),
  ];
}

describe('sessions under injected faults', () => {
  it('a create whose reply is lost rolls everything back, the orphan included', async () => {
    const mock = new MockDockerDriver();
    const faulty = withFaults(mock);
    // The first create takes effect on the backend, but its caller sees an error: the session
    // never learns the container's id.
    let creates = 0;
    faulty.faults.succeedThenFail('createContainer', () => {
      creates++;
      return new Error('reply lost after the engine made it');
    });
    const error = await new SessionManager(faulty)
      .start(spec('lost-reply'))
      .catch((e: unknown) => e);
    expect(creates).toBe(1);
    expect(error).toBeInstanceOf(SessionStartError);
    expect((error as SessionStartError).rolledBack.join('; ')).toMatch(
      /1 containers found by the session's label/,
    );
    expect(await everything(mock, 'lost-reply')).toEqual([]);
  });

  it('behind the resilience layer, retryable failures are retried and the session starts', async () => {
    const mock = new MockDockerDriver();
    const faulty = withFaults(mock);
    faulty.faults.failNext('createContainer', 2, () => new NetworkError('engine hiccup'));
    faulty.faults.failNext('startContainer', 1, () => new NetworkError('engine hiccup'));
    const driver = resilient(faulty, { retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 2 } });
    const session = await new SessionManager(driver).start(spec('retried'));
    expect(Object.keys(session.services).sort()).toEqual(['api', 'db', 'worker']);
    await session.end();
    expect(await everything(mock, 'retried')).toEqual([]);
  });

  it('behind the resilience layer, a failure it gives up on rolls the whole session back', async () => {
    const mock = new MockDockerDriver();
    const faulty = withFaults(mock);
    faulty.faults.failNext('startContainer', 10, () => new NetworkError('engine down for starts'));
    // No breaker here: an open one would refuse the rollback's removals too (the next test).
    const driver = resilient(faulty, {
      retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 2 },
      breaker: false,
    });
    const error = await new SessionManager(driver).start(spec('gave-up')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionStartError);
    expect((error as SessionStartError).leftBehind).toEqual([]);
    expect(await everything(mock, 'gave-up')).toEqual([]);
  });

  it('a rollback refused by an open circuit says what it left, and cleanup removes it later', async () => {
    const mock = new MockDockerDriver();
    const faulty = withFaults(mock);
    faulty.faults.failNext('startContainer', 50, () => new NetworkError('engine down for starts'));
    const driver = resilient(faulty, {
      retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 2 },
      breaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
    });
    const error = (await new SessionManager(driver)
      .start(spec('open-circuit'))
      .catch((e: unknown) => e)) as SessionStartError;
    expect(error).toBeInstanceOf(SessionStartError);
    // Nothing is silently left: what could not go is named, and the label still finds it.
    expect(error.leftBehind.length + error.rolledBack.length).toBeGreaterThan(0);
    await mock.cleanup({ sessionId: 'open-circuit' });
    expect(await everything(mock, 'open-circuit')).toEqual([]);
    driver.shutdown();
  });

  it('refuses to start a session whose id is in use', async () => {
    const mock = new MockDockerDriver();
    const manager = new SessionManager(mock);
    const session = await manager.start(spec('taken'));
    await expect(manager.start(spec('taken'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await mock.listContainers({ sessionId: 'taken' })).length).toBe(3);
    await session.end();
  });
});
