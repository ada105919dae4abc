import { TimeoutError } from '@berth/core';
import { ManualClock } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { PoolLimitError, PoolWaitTimeoutError, ResourcePool, SessionEvents } from '../src/index.js';

/** A promise's outcome so far, readable without awaiting it. */
function watch<T>(promise: Promise<T>) {
  const outcome: { status: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = {
    status: 'pending',
  };
  promise.then(
    (value) => Object.assign(outcome, { status: 'fulfilled', value }),
    (error) => Object.assign(outcome, { status: 'rejected', error }),
  );
  return outcome;
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(capacity = { cpu: 4, memoryMb: 1000 }) {
  const clock = new ManualClock();
  const pool = new ResourcePool({ capacity, clock });
  return { clock, pool };
}

describe('ResourcePool waiting', () => {
  it('waits for capacity to free, then is served', async () => {
    const { pool } = setup();
    const holder = await pool.allocate('holder', { cpu: 3 });
    const waiting = watch(pool.reserve('later', { cpu: 2 }, { wait: true }));
    await flush();
    expect(waiting.status).toBe('pending');
    expect(pool.state().waiting).toEqual([{ owner: 'later', amounts: { cpu: 2, memoryMb: 0 } }]);
    holder.release();
    await flush();
    expect(waiting.status).toBe('fulfilled');
    expect(waiting.value?.held).toEqual({ cpu: 2, memoryMb: 0 });
    expect(pool.state()).toMatchObject({
      available: { cpu: 2 },
      reserved: { cpu: 2 },
      waiting: [],
    });
  });

  it('serves first come first: small requests behind a big one do not starve it', async () => {
    const { pool } = setup();
    const holder = await pool.allocate('holder', { cpu: 3 });
    const big = watch(pool.allocate('big', { cpu: 4 }, { wait: true }));
    // 1 core is free, but the big request waits for it: neither newcomer may take it.
    const small = watch(pool.allocate('small', { cpu: 1 }, { wait: true }));
    const impatient = await pool.allocate('impatient', { cpu: 1 }).catch((e) => e);
    expect(impatient).toBeInstanceOf(PoolLimitError);
    expect(impatient).toMatchObject({ resource: 'cpu', limit: 0, requested: 1 });
    expect(impatient.message).toMatch(/2 earlier requests wait for capacity and come first/);
    await flush();
    expect([big.status, small.status]).toEqual(['pending', 'pending']);

    holder.release();
    await flush();
    expect([big.status, small.status]).toEqual(['fulfilled', 'pending']);
    big.value?.release();
    await flush();
    expect(small.status).toBe('fulfilled');
    small.value?.release();
    expect(pool.state().available).toEqual({ cpu: 4, memoryMb: 1000 });
  });

  it('lets a later request go first only with what nobody before it waits for', async () => {
    const { pool } = setup();
    const holder = await pool.allocate('holder', { cpu: 1, memoryMb: 900 });
    const big = watch(pool.allocate('big', { cpu: 1, memoryMb: 500 }, { wait: true }));
    // Memory is what the big one waits for: this one must not take the 100 MB still free.
    const memory = watch(pool.allocate('memory', { cpu: 0.5, memoryMb: 50 }, { wait: true }));
    // Cores nobody ahead lacks: served at once.
    const cpuOnly = watch(pool.allocate('cpu-only', { cpu: 1 }, { wait: true }));
    await flush();
    expect([big.status, memory.status, cpuOnly.status]).toEqual([
      'pending',
      'pending',
      'fulfilled',
    ]);
    holder.release();
    await flush();
    expect([big.status, memory.status]).toEqual(['fulfilled', 'fulfilled']);
  });

  it('times out with a PoolWaitTimeoutError, on the pool clock, saying what was short', async () => {
    const { clock, pool } = setup();
    const holder = await pool.allocate('holder', { cpu: 3 });
    const waiting = watch(pool.reserve('late', { cpu: 2 }, { wait: true, timeoutMs: 1000 }));
    await clock.advance(999);
    expect(waiting.status).toBe('pending');
    await clock.advance(1);
    expect(waiting.status).toBe('rejected');
    const error = waiting.error as PoolWaitTimeoutError;
    expect(error).toBeInstanceOf(PoolWaitTimeoutError);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'TIMEOUT_ERROR',
      retryable: true,
      ms: 1000,
      owner: 'late',
    });
    expect(error.shortfall).toMatchObject({ resource: 'cpu', limit: 1, requested: 2 });
    expect(error.cause).toBe(error.shortfall);
    expect(error.message).toBe(
      "'late' waited 1000 ms for pool capacity and did not get it: it asks for 2 cores of cpu, and the pool has 1 core of cpu available. Release capacity sooner, wait longer, or ask for less.",
    );
    expect(pool.state().waiting).toEqual([]);
    holder.release();
    expect(pool.state().available.cpu).toBe(4);
  });

  it('cancels its timer when served, leaving no sleeper behind', async () => {
    const { clock, pool } = setup();
    const holder = await pool.allocate('holder', { cpu: 4 });
    const waiting = watch(pool.allocate('w', { cpu: 1 }, { wait: true, timeoutMs: 60_000 }));
    await flush();
    expect(clock.pending).toBe(1);
    holder.release();
    await flush();
    expect(waiting.status).toBe('fulfilled');
    expect(clock.pending).toBe(0);
    await clock.advance(120_000);
    expect(waiting.value?.released).toBe(false);
  });

  it("rejects with the signal's reason on abort, and serves whoever waited behind", async () => {
    const { clock, pool } = setup();
    const holder = await pool.allocate('holder', { cpu: 2 });
    const controller = new AbortController();
    const big = watch(
      pool.allocate('big', { cpu: 4 }, { wait: true, timeoutMs: 5000, signal: controller.signal }),
    );
    const small = watch(pool.allocate('small', { cpu: 2 }, { wait: true }));
    await flush();
    expect(small.status).toBe('pending');
    const reason = new Error('session cancelled');
    controller.abort(reason);
    await flush();
    expect(big.status).toBe('rejected');
    expect(big.error).toBe(reason);
    expect(small.status).toBe('fulfilled');
    expect(clock.pending).toBe(0);
    expect(pool.state().waiting).toEqual([]);
    holder.release();
    small.value?.release();
    expect(pool.state().available).toEqual({ cpu: 4, memoryMb: 1000 });
  });

  it('rejects at once for a signal already aborted, taking nothing', async () => {
    const { pool } = setup();
    const reason = new Error('too late');
    await expect(
      pool.reserve('o', { cpu: 1 }, { wait: true, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(pool.state().available.cpu).toBe(4);
  });

  it('emits pool:allocated when a waiting allocate is served', async () => {
    const events = new SessionEvents();
    const clock = new ManualClock(1_000);
    const pool = new ResourcePool({ capacity: { cpu: 1, memoryMb: 100 }, clock, events });
    const seen: string[] = [];
    events.on('pool:allocated', (e) => seen.push(`allocated ${e.owner} at ${e.at.getTime()}`));
    events.on('pool:released', (e) => seen.push(`released ${e.owner}: ${e.reason}`));
    const first = await pool.allocate('first', { cpu: 1 });
    const second = watch(pool.allocate('second', { cpu: 1 }, { wait: true }));
    await clock.advance(500);
    first.release('finished');
    await flush();
    expect(second.status).toBe('fulfilled');
    expect(seen).toEqual([
      'allocated first at 1000',
      'released first: finished',
      'allocated second at 1500',
    ]);
  });

  it('stays consistent when a listener releases from inside a release', async () => {
    const events = new SessionEvents();
    const pool = new ResourcePool({ capacity: { cpu: 2, memoryMb: 100 }, events });
    const a = await pool.allocate('a', { cpu: 1 });
    const b = await pool.allocate('b', { cpu: 1 });
    events.on('pool:released', () => b.release('cascade'));
    const waiting = watch(pool.allocate('w', { cpu: 2 }, { wait: true }));
    a.release();
    await flush();
    expect(waiting.status).toBe('fulfilled');
    expect(b.releaseReason).toBe('cascade');
    expect(pool.state()).toMatchObject({ available: { cpu: 0 }, allocated: { cpu: 2 } });
  });
});
