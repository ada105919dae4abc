import type { SessionClock } from '../clock.js';
import { addUnits, minusUnits, shortOf, type Units } from './amounts.js';

interface Waiter {
  readonly owner: string;
  readonly units: Units;
  queued: boolean;
  grant(): void;
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The requests waiting for a pool's capacity, served first come, first served with
 * conservative backfill: a request is served once it fits in what is free beyond everything
 * the requests queued before it ask for. It never takes what an earlier one waits for, so the
 * head is never starved, and a later one may still go first with capacity nobody before it
 * needs (a small cpu-only request while a big one waits for memory).
 */
export class WaitQueue {
  readonly #free: Units;
  readonly #clock: SessionClock;
  #waiting: Waiter[] = [];
  #draining = false;
  #drainAgain = false;

  /** `free` is the pool's own record of free capacity: grants take from it as they happen. */
  constructor(free: Units, clock: SessionClock) {
    this.#free = free;
    this.#clock = clock;
  }

  /** How many requests wait. */
  get length(): number {
    return this.#queued().length;
  }

  list(): { owner: string; units: Units }[] {
    return this.#queued().map(({ owner, units }) => ({ owner, units: { ...units } }));
  }

  /** What is free for a request that would join the queue now (after every waiting one). */
  open(): Units {
    return minusUnits(this.#free, this.#claimed(this.#waiting.length));
  }

  /**
   * Waits until `units` can be taken, then calls `take` (which must take them from free) and
   * resolves with its result. Rejects with the signal's reason on abort, and with
   * `timedOut(open, ahead)` after `timeoutMs`, where `open` is what was free for it at the end.
   */
  enqueue<T>(
    owner: string,
    units: Units,
    take: () => T,
    options: WaitOptions,
    timedOut: (open: Units, ahead: number) => unknown,
  ): Promise<T> {
    const { timeoutMs, signal } = options;
    return new Promise<T>((resolve, reject) => {
      const timer = new AbortController();
      const settle = () => {
        timer.abort();
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        owner,
        units,
        queued: true,
        grant: () => {
          settle();
          resolve(take());
        },
      };
      const giveUp = (error: (index: number) => unknown) => {
        const index = this.#waiting.indexOf(waiter);
        if (!waiter.queued || index < 0) return;
        const reason = error(index);
        waiter.queued = false;
        this.#waiting.splice(index, 1);
        settle();
        reject(reason);
        // Whoever waited behind it may fit now.
        this.drain();
      };
      const onAbort = () => giveUp(() => signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        this.#clock.sleep(timeoutMs, timer.signal).then(
          () =>
            giveUp((index) =>
              timedOut(
                minusUnits(this.#free, this.#claimed(index)),
                this.#waiting.slice(0, index).filter((w) => w.queued).length,
              ),
            ),
          // Cancelled: the request was served or gave up first.
          () => {},
        );
      }
      this.#waiting.push(waiter);
    });
  }

  /** Serves, in order, every waiting request that fits now. Call it whenever capacity frees. */
  drain(): void {
    // A grant emits events and settles promises; a listener that releases or gives up
    // re-enters here, and the pass in progress then runs once more instead of nesting.
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    this.#draining = true;
    try {
      do {
        this.#drainAgain = false;
        const claimed: Units = {};
        for (const waiter of [...this.#waiting]) {
          if (!waiter.queued) continue;
          if (shortOf(waiter.units, minusUnits(this.#free, claimed))) {
            addUnits(claimed, waiter.units);
            continue;
          }
          waiter.queued = false;
          waiter.grant();
        }
        this.#waiting = this.#waiting.filter((w) => w.queued);
      } while (this.#drainAgain);
    } finally {
      this.#draining = false;
    }
  }

  #queued(): Waiter[] {
    return this.#waiting.filter((w) => w.queued);
  }

  /** What the waiting requests before position `end` ask for together. */
  #claimed(end: number): Units {
    const claimed: Units = {};
    for (const waiter of this.#waiting.slice(0, end)) {
      if (waiter.queued) addUnits(claimed, waiter.units);
    }
    return claimed;
  }
}
