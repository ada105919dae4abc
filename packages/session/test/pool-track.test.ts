import { BerthEvents, type ContainerConfigInput, withEvents, wrapDriver } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { amountsOf, ResourcePool } from '../src/index.js';

const capacity = { cpu: 2, memoryMb: 2048, pids: 400 };
const exitsByItself: ContainerConfigInput = {
  sessionId: 'pool-track',
  image: 'alpine:3',
  command: ['sh', '-c', 'exit 3'],
  resources: { cpu: 1, memory: 512 },
};
// No command: the mock runs it until it is stopped or removed.
const runsUntilRemoved: ContainerConfigInput = {
  sessionId: 'pool-track',
  image: 'alpine:3',
  resources: { cpu: 1, memory: 1024 },
};

function setup() {
  const events = new BerthEvents();
  const mock = new MockDockerDriver();
  const driver = wrapDriver(mock, withEvents(events));
  const pool = new ResourcePool({ capacity });
  return { events, mock, driver, pool };
}

let cleanup: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('ResourcePool.track', () => {
  it('reclaims the allocation of a container that dies, and of one that is removed', async () => {
    const { events, mock, driver, pool } = setup();
    cleanup = () => mock.cleanup({ all: true });
    const stop = pool.track(events);

    const dying = await pool.allocate('session-a', amountsOf(exitsByItself));
    const short = await driver.createContainer(exitsByItself);
    dying.bind(short.id);

    const reservation = await pool.reserve('session-b', amountsOf(runsUntilRemoved));
    const long = await driver.createContainer(runsUntilRemoved);
    const staying = reservation.allocate(long.id, amountsOf(runsUntilRemoved));
    reservation.release();
    expect(pool.state().available).toEqual({ cpu: 0, memoryMb: 512, pids: 200 });

    await driver.startContainer(short.id);
    await driver.startContainer(long.id);
    // withEvents learns of the exit by watching the container: here by waiting for it.
    expect(await driver.waitContainer(short.id)).toEqual({ exitCode: 3, oomKilled: false });
    expect(dying.released).toBe(true);
    expect(dying.releaseReason).toBe('container died (exit code 3)');
    expect(staying.released).toBe(false);
    expect(pool.state().available).toEqual({ cpu: 1, memoryMb: 1024, pids: 300 });

    await driver.removeContainer(long.id, { force: true });
    expect(staying.releaseReason).toBe('container removed');
    // Removing the dead one later gives nothing back twice.
    await driver.removeContainer(short.id);
    expect(pool.state()).toMatchObject({ available: capacity, allocations: [], reservations: [] });
    stop();
    expect(events.listenerCount('container:removed')).toBe(0);
    expect(events.listenerCount('container:died')).toBe(0);
  });

  it('serves a waiting request with what a removed container gave back', async () => {
    const { events, mock, driver, pool } = setup();
    cleanup = () => mock.cleanup({ all: true });
    const stop = pool.track(events);
    const first = await pool.allocate('first', { cpu: 2 });
    const container = await driver.createContainer(runsUntilRemoved);
    first.bind(container.id);
    await driver.startContainer(container.id);
    const next = pool.allocate('next', { cpu: 2 }, { wait: true });
    await driver.removeContainer(container.id, { force: true });
    const served = await next;
    expect(served.amounts).toEqual({ cpu: 2, memoryMb: 0, pids: 0 });
    served.release();
    stop();
    expect(pool.state().available).toEqual(capacity);
  });

  it("with on: ['removed'], keeps a dead container's share until it is removed", async () => {
    const { events, mock, driver, pool } = setup();
    cleanup = () => mock.cleanup({ all: true });
    const stop = pool.track(events, { on: ['removed'] });
    const allocation = await pool.allocate('s', amountsOf(exitsByItself));
    const container = await driver.createContainer(exitsByItself);
    allocation.bind(container.id);
    await driver.startContainer(container.id);
    await driver.waitContainer(container.id);
    expect(allocation.released).toBe(false);
    await driver.removeContainer(container.id);
    expect(allocation.releaseReason).toBe('container removed');
    stop();
    expect(() => pool.track(events, { on: ['exited' as 'died'] })).toThrow(/'removed' and\/or/);
    expect(() => pool.track({} as BerthEvents)).toThrow(/BerthEvents given to withEvents/);
  });

  it('after stopping, leaves allocations alone', async () => {
    const { events, mock, driver, pool } = setup();
    cleanup = () => mock.cleanup({ all: true });
    const stop = pool.track(events);
    stop();
    stop();
    const allocation = await pool.allocate('s', { cpu: 1 });
    const container = await driver.createContainer(runsUntilRemoved);
    allocation.bind(container.id);
    await driver.removeContainer(container.id, { force: true });
    expect(allocation.released).toBe(false);
    allocation.release();
    expect(pool.state().available).toEqual(capacity);
  });
});
