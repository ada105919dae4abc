/** Time as the mocks see it; inject a ManualClock to drive them with fake time. */
export interface MockClock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortable(signal: AbortSignal | undefined, start: (done: () => void) => () => void) {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = start(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Real time. Looks up setTimeout at call time, so vitest's fake timers apply to it too. */
export const systemClock: MockClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    abortable(signal, (done) => {
      const timer = setTimeout(done, ms);
      return () => clearTimeout(timer);
    }),
};

/** A clock that moves only when told to: `advance(ms)` wakes every sleeper due by then, in order. */
export class ManualClock implements MockClock {
  #now: number;
  #sleepers: { at: number; seq: number; wake: () => void }[] = [];
  #seq = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return abortable(signal, (done) => {
      const sleeper = { at: this.#now + Math.max(0, ms), seq: this.#seq++, wake: done };
      this.#sleepers.push(sleeper);
      return () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
      };
    });
  }

  /** Moves time forward, letting woken work run (and schedule more sleeps) along the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.#sleepers
        .filter((s) => s.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      this.#now = Math.max(this.#now, due.at);
      due.wake();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** How many sleeps are pending (useful to wait until work has reached a sleep). */
  get pending(): number {
    return this.#sleepers.length;
  }
}

// Every middleware layer takes a few microtasks to hand a result up (a mock's answer takes about
// 10, under three more layers about 16), so a stack of layers settles within the step it is due.
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 100; i++) await Promise.resolve();
}
