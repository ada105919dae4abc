import { ManualClock } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import {
  PoolLimitError,
  type PoolState,
  PoolWaitTimeoutError,
  type ResourceAmounts,
  ResourcePool,
  SessionEvents,
} from '../src/index.js';

const capacity = { cpu: 8, memoryMb: 8192, diskMb: 20_000, pids: 1000 };
const RESOURCES = ['cpu', 'memoryMb', 'diskMb', 'pids'] as const;

/** Deterministic randomness, so a failure repeats. */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Compared in millionths, as the pool counts: sums of binary fractions of a core are exact.
const units = (value: number | undefined) => Math.round((value ?? 0) * 1_000_000);

const total = (list: { amounts: ResourceAmounts }[], r: (typeof RESOURCES)[number]) =>
  list.reduce((sum, item) => sum + units(item.amounts[r]), 0);

/** Without `held`, only the pool's own books (for a check from inside one of its steps). */
function checkInvariant(state: PoolState, held?: Map<string, ResourceAmounts>): void {
  for (const r of RESOURCES) {
    const available = units(state.available[r]);
    const inUse = units(state.allocated[r]) + units(state.reserved[r]);
    expect(available).toBeGreaterThanOrEqual(0);
    expect(available + inUse).toBe(units(capacity[r]));
    expect(total(state.allocations, r)).toBe(units(state.allocated[r]));
    expect(total(state.reservations, r)).toBe(units(state.reserved[r]));
    if (!held) continue;
    // What the pool says is in use is exactly what the callers were given and still hold.
    let given = 0;
    for (const amounts of held.values()) given += units(amounts[r]);
    expect(inUse).toBe(given);
    expect(given).toBeLessThanOrEqual(units(capacity[r]));
  }
}

describe('ResourcePool under 1,000 concurrent requests', () => {
  it('never over-allocates, and ends with everything given back', async () => {
    const random = seeded(20_260_101);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)] as T;
    const clock = new ManualClock();
    // A listener's failure is reported, not thrown, by the emitter: collected to fail the test.
    const listenerErrors: unknown[] = [];
    const events = new SessionEvents({ onListenerError: (error) => listenerErrors.push(error) });
    const pool = new ResourcePool({ capacity, clock, events });
    // Handle id → what it holds, as the callers see it.
    const held = new Map<string, ResourceAmounts>();
    let checks = 0;
    // After every operation, and inside the pool's own steps (where a grant or release is half
    // done if wrong): the pool's books. A request served is handed over a few microtasks after
    // the pool counts it, so what the callers hold is compared once those have run.
    const check = () => {
      checkInvariant(pool.state());
      checks++;
    };
    events.on('pool:allocated', check);
    events.on('pool:released', check);
    const outcomes = { served: 0, refused: 0, timedOut: 0, aborted: 0 };
    const abortReason = new Error('gave up');

    const task = async (i: number) => {
      const amounts = {
        cpu: pick([0.25, 0.5, 1, 2]),
        memoryMb: pick([128, 256, 512, 1024]),
        diskMb: pick([0, 500, 2000]),
        pids: pick([10, 50, 100]),
      };
      const mode = i % 10;
      const controller = new AbortController();
      const options =
        mode === 0
          ? {}
          : mode === 1
            ? { wait: true, timeoutMs: pick([5, 20, 50]) }
            : mode === 2
              ? { wait: true, signal: controller.signal }
              : { wait: true };
      const aborter =
        mode === 2
          ? clock.sleep(pick([1, 10, 40])).then(() => controller.abort(abortReason))
          : null;
      await clock.sleep(pick([0, 1, 2, 5]));
      try {
        if (random() < 0.5) {
          const allocation = await pool.allocate(`owner-${i}`, amounts, options);
          held.set(allocation.id, allocation.amounts);
          check();
          allocation.bind(`container-${i}`);
          await clock.sleep(pick([1, 5, 20]));
          held.delete(allocation.id);
          if (i % 3 === 0) pool.release(`container-${i}`);
          else allocation.release();
        } else {
          const reservation = await pool.reserve(`owner-${i}`, amounts, options);
          held.set(reservation.id, reservation.held);
          check();
          const part = { cpu: amounts.cpu / 2, memoryMb: amounts.memoryMb / 2, pids: 10 };
          const allocation = reservation.allocate(`container-${i}`, part);
          held.set(reservation.id, reservation.held);
          held.set(allocation.id, allocation.amounts);
          check();
          await clock.sleep(pick([1, 5, 20]));
          held.delete(reservation.id);
          reservation.release();
          check();
          await clock.sleep(pick([1, 5]));
          held.delete(allocation.id);
          allocation.release();
        }
        check();
        outcomes.served++;
      } catch (error) {
        if (error === abortReason) outcomes.aborted++;
        else if (error instanceof PoolWaitTimeoutError) outcomes.timedOut++;
        else if (error instanceof PoolLimitError && mode === 0) outcomes.refused++;
        else throw error;
        check();
      }
      await aborter;
    };

    let finished = false;
    const all = Promise.all(Array.from({ length: 1000 }, (_, i) => task(i))).finally(() => {
      finished = true;
    });
    for (let step = 0; !finished && step < 100_000; step++) {
      await clock.advance(1);
      checkInvariant(pool.state(), held);
    }
    await all;

    expect(finished).toBe(true);
    expect(outcomes.served + outcomes.refused + outcomes.timedOut + outcomes.aborted).toBe(1000);
    // Every path was taken, so the invariant was checked on each of them.
    expect(outcomes.served).toBeGreaterThan(500);
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.timedOut).toBeGreaterThan(0);
    expect(outcomes.aborted).toBeGreaterThan(0);
    expect(checks).toBeGreaterThan(3000);

    expect(listenerErrors).toEqual([]);
    const end = pool.state();
    expect(end.available).toEqual(capacity);
    expect(end).toMatchObject({ allocations: [], reservations: [], waiting: [] });
    expect(clock.pending).toBe(0);
  });
});
