import {
  ConfigurationError,
  ConflictError,
  DEFAULT_CPU,
  DEFAULT_MEMORY_MB,
  DEFAULT_PIDS,
  ResourceLimitError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import {
  amountsOf,
  PoolLimitError,
  ResourcePool,
  type SessionEventMap,
  SessionEvents,
} from '../src/index.js';

const full = { cpu: 4, memoryMb: 4096, diskMb: 10_000, pids: 500 };

function newPool(capacity: ConstructorParameters<typeof ResourcePool>[0]['capacity'] = full) {
  return new ResourcePool({ capacity });
}

describe('amountsOf', () => {
  it("reads what a config asks for, with core's defaults for what it leaves out", () => {
    expect(amountsOf({ sessionId: 's', image: 'alpine:3' })).toEqual({
      cpu: DEFAULT_CPU,
      memoryMb: DEFAULT_MEMORY_MB,
      pids: DEFAULT_PIDS,
    });
    expect(
      amountsOf({
        sessionId: 's',
        image: 'alpine:3',
        resources: { cpu: 1.5, memory: 256, disk: 2048, pids: 20 },
      }),
    ).toEqual({ cpu: 1.5, memoryMb: 256, diskMb: 2048, pids: 20 });
  });

  it('refuses resources a driver would refuse, saying which', () => {
    expect(() => amountsOf({ sessionId: 's', image: 'a', resources: { cpu: -1 } })).toThrow(
      ConfigurationError,
    );
    expect(() => amountsOf({ sessionId: 's', image: 'a', resources: { cpu: -1 } })).toThrow(
      /cpu must be more than 0/,
    );
    expect(() => amountsOf(null as never)).toThrow(/needs a container config/);
  });
});

describe('ResourcePool accounting', () => {
  it('validates its capacity, naming what is wrong', () => {
    expect(() => newPool({ cpu: 0, memoryMb: 1 })).toThrow(/cpu must be a positive finite/);
    expect(() => newPool({ cpu: 1, memoryMb: Number.POSITIVE_INFINITY })).toThrow(/memoryMb/);
    expect(() => newPool({ cpu: 1, memoryMb: 1, pids: 1.5 })).toThrow(/whole number/);
    expect(() => newPool({ cpu: 1, memory: 1 } as never)).toThrow(/did you mean 'memoryMb'/);
    expect(() => new ResourcePool(undefined as never)).toThrow(ConfigurationError);
    expect(() => newPool({ cpu: 1 } as never)).toThrow(ConfigurationError);
  });

  it('counts exactly: ten allocations of 0.1 cores fill one core, and releasing them all gives it all back', async () => {
    const pool = newPool({ cpu: 1, memoryMb: 1000 });
    const allocations = [];
    for (let i = 0; i < 10; i++) allocations.push(await pool.allocate(`o${i}`, { cpu: 0.1 }));
    expect(pool.state().available.cpu).toBe(0);
    expect(pool.state().allocated.cpu).toBe(1);
    // Floating point would leave 1.4e-16 of a core here and admit this.
    await expect(pool.allocate('one-more', { cpu: 1e-6 })).rejects.toThrow(PoolLimitError);
    for (const allocation of allocations) expect(allocation.release()).toBe(true);
    expect(pool.state().available).toEqual({ cpu: 1, memoryMb: 1000 });
    expect(pool.state().allocated).toEqual({ cpu: 0, memoryMb: 0 });
  });

  it('keeps capacity = available + reserved + allocated through reserve, allocate and release', async () => {
    const pool = newPool();
    const reservation = await pool.reserve('session-1', { cpu: 2, memoryMb: 1024, pids: 100 });
    expect(reservation.held).toEqual({ cpu: 2, memoryMb: 1024, diskMb: 0, pids: 100 });
    const web = reservation.allocate('container-web', { cpu: 1.5, memoryMb: 512, pids: 60 });
    let state = pool.state();
    expect(state.available).toEqual({ cpu: 2, memoryMb: 3072, diskMb: 10_000, pids: 400 });
    expect(state.reserved).toEqual({ cpu: 0.5, memoryMb: 512, diskMb: 0, pids: 40 });
    expect(state.allocated).toEqual({ cpu: 1.5, memoryMb: 512, diskMb: 0, pids: 60 });
    expect(state.allocations).toEqual([
      {
        id: web.id,
        owner: 'session-1',
        containerId: 'container-web',
        amounts: { cpu: 1.5, memoryMb: 512, diskMb: 0, pids: 60 },
      },
    ]);
    expect(state.reservations).toEqual([
      {
        id: reservation.id,
        owner: 'session-1',
        amounts: { cpu: 0.5, memoryMb: 512, diskMb: 0, pids: 40 },
      },
    ]);

    expect(reservation.release()).toBe(true);
    expect(reservation.release()).toBe(false);
    expect(reservation.released).toBe(true);
    expect(reservation.held).toEqual({ cpu: 0, memoryMb: 0, diskMb: 0, pids: 0 });
    state = pool.state();
    expect(state.reservations).toEqual([]);
    expect(state.available).toEqual({ cpu: 2.5, memoryMb: 3584, diskMb: 10_000, pids: 440 });
    // The allocation outlives its reservation: it belongs to the container now.
    expect(web.released).toBe(false);
    expect(pool.release('container-web')).toBe(true);
    expect(pool.release('container-web')).toBe(false);
    expect(web.releaseReason).toBe('released');
    expect(pool.state().available).toEqual(full);
  });

  it('does not count resources the capacity leaves out', async () => {
    const pool = newPool({ cpu: 2, memoryMb: 1024 });
    const allocation = await pool.allocate('o', { cpu: 1, memoryMb: 100, pids: 10_000 });
    expect(allocation.amounts).toEqual({ cpu: 1, memoryMb: 100 });
    expect(pool.state().capacity).toEqual({ cpu: 2, memoryMb: 1024 });
  });

  it('refuses a request beyond what is available, naming the resource, what is left and the request', async () => {
    const pool = newPool();
    await pool.allocate('big', { cpu: 3, memoryMb: 1024 });
    const error = await pool.allocate('small', { cpu: 2, memoryMb: 10 }).catch((e) => e);
    expect(error).toBeInstanceOf(PoolLimitError);
    expect(ResourceLimitError.isInstance(error)).toBe(true);
    expect(PoolLimitError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'RESOURCE_LIMIT_EXCEEDED',
      retryable: false,
      resource: 'cpu',
      limit: 1,
      requested: 2,
      owner: 'small',
    });
    expect(error.message).toBe(
      "'small' asks for 2 cores of cpu, and the pool has 1 core of cpu available. Pass wait: true to wait for it, release what is held, or ask for less.",
    );
    // Nothing was taken by the refused request.
    expect(pool.state().available.cpu).toBe(1);
  });

  it('refuses at once, even with wait, a request larger than the whole capacity', async () => {
    const pool = newPool();
    const error = await pool
      .reserve('huge', { memoryMb: 8192 }, { wait: true, timeoutMs: 1000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PoolLimitError);
    expect(error).toMatchObject({ resource: 'memoryMb', limit: 4096, requested: 8192 });
    expect(error.message).toMatch(/more than the pool's whole capacity of 4096 MB of memory/);
    expect(pool.state().waiting).toEqual([]);
  });

  it('refuses bad requests with ConfigurationErrors that say how to fix them', async () => {
    const pool = newPool();
    await expect(pool.reserve('', { cpu: 1 })).rejects.toThrow(/needs an owner/);
    await expect(pool.reserve('o', { cpu: -1 })).rejects.toThrow(/cpu must be a finite number/);
    await expect(pool.reserve('o', { pids: 0.5 })).rejects.toThrow(/whole number/);
    await expect(pool.reserve('o', { memory: 5 } as never)).rejects.toThrow(
      /did you mean 'memoryMb'/,
    );
    await expect(pool.reserve('o', { cpu: 1 }, { timeoutMs: 5 })).rejects.toThrow(/add wait: true/);
    await expect(pool.reserve('o', { cpu: 1 }, { wiat: true } as never)).rejects.toThrow(
      /no option 'wiat'/,
    );
    await expect(pool.reserve('o', { cpu: 1 }, { signal: 'x' } as never)).rejects.toThrow(
      /AbortSignal/,
    );
    expect(() => pool.release('')).toThrow(ConfigurationError);
    expect(pool.state().available).toEqual(full);
  });

  it('allocates from a reservation only what it holds, to one container at a time', async () => {
    const pool = newPool();
    const reservation = await pool.reserve('s', { cpu: 1, memoryMb: 512 });
    const error = (() => {
      try {
        reservation.allocate('c1', { cpu: 0.5, memoryMb: 1024 });
      } catch (e) {
        return e as PoolLimitError;
      }
    })();
    expect(error).toBeInstanceOf(PoolLimitError);
    expect(error).toMatchObject({ resource: 'memoryMb', limit: 512, requested: 1024 });
    expect(error?.message).toMatch(/reservation-1 of 's' holds 512 MB of memory unallocated/);

    reservation.allocate('c1', { cpu: 0.5, memoryMb: 256 });
    expect(() => reservation.allocate('c1', { cpu: 0.1 })).toThrow(ConflictError);
    expect(() => reservation.allocate('', { cpu: 0.1 })).toThrow(/needs the id of the container/);
    reservation.release();
    expect(() => reservation.allocate('c2', { cpu: 0.1 })).toThrow(/was released/);
    pool.release('c1');
    expect(pool.state().available).toEqual(full);
  });

  it('binds a one-step allocation to its container, once', async () => {
    const pool = newPool();
    const a = await pool.allocate('s', { cpu: 1, memoryMb: 100 });
    expect(a.containerId).toBeUndefined();
    expect(a.bind('c1')).toBe(a);
    expect(a.bind('c1').containerId).toBe('c1');
    expect(() => a.bind('c2')).toThrow(ConflictError);
    const b = await pool.allocate('s', { cpu: 1 });
    expect(() => b.bind('c1')).toThrow(/holds allocation allocation-1 already/);
    expect(pool.release('c1', 'done')).toBe(true);
    expect(a.releaseReason).toBe('done');
    expect(() => a.bind('c3')).toThrow(/was released \(done\)/);
    // The container is free to take another allocation now.
    b.bind('c1');
    expect(pool.state().allocations.map((x) => x.containerId)).toEqual(['c1']);
    b.release();
    expect(pool.state().available).toEqual(full);
  });

  it('releases by allocation id, container id or reservation id, and idempotently', async () => {
    const pool = newPool();
    const r = await pool.reserve('s', { cpu: 1 });
    const a = await pool.allocate('s', { cpu: 1 });
    expect(pool.release(a.id)).toBe(true);
    expect(a.release()).toBe(false);
    expect(pool.release(r.id)).toBe(true);
    expect(r.release()).toBe(false);
    expect(pool.release('nothing-by-that-id')).toBe(false);
    expect(pool.state().available).toEqual(full);
  });

  it('is disposable: using gives it back at the end of the block', async () => {
    const pool = newPool();
    {
      using reservation = await pool.reserve('s', { cpu: 1 });
      using allocation = await pool.allocate('s', { cpu: 1 });
      expect(reservation.released || allocation.released).toBe(false);
      expect(pool.state().available.cpu).toBe(2);
    }
    expect(pool.state().available).toEqual(full);
  });

  it('emits pool:allocated and pool:released with the reason', async () => {
    const events = new SessionEvents();
    const seen: string[] = [];
    events.on('pool:allocated', (e: SessionEventMap['pool:allocated']) =>
      seen.push(`allocated ${e.allocationId} ${e.owner}`),
    );
    events.on('pool:released', (e) => seen.push(`released ${e.allocationId} ${e.reason}`));
    const pool = new ResourcePool({ capacity: full, events });
    const r = await pool.reserve('s', { cpu: 2 });
    const a = r.allocate('c1', { cpu: 1 });
    const b = await pool.allocate('t', { cpu: 1 });
    a.release('stopped');
    b.release();
    b.release();
    r.release();
    expect(seen).toEqual([
      'allocated allocation-1 s',
      'allocated allocation-2 t',
      'released allocation-1 stopped',
      'released allocation-2 released',
    ]);
  });

  it('returns copies from state()', async () => {
    const pool = newPool();
    await pool.allocate('s', { cpu: 1 });
    const state = pool.state();
    state.available.cpu = 100;
    state.allocations[0]!.amounts.cpu = 100;
    expect(pool.state().available.cpu).toBe(3);
    expect(pool.state().allocations[0]!.amounts.cpu).toBe(1);
  });
});
