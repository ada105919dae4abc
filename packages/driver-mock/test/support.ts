import type { ManualClock } from '../src/index.js';

/**
 * Moves fake time along in `stepMs` steps until `op` settles; the fake milliseconds that took.
 * An operation still pending after `limitMs` of fake time fails, saying how far the clock went
 * and how many sleeps were still waiting on it, rather than looping until the test times out.
 */
export async function fakeDuration(
  clock: ManualClock,
  op: Promise<unknown>,
  { stepMs = 10, limitMs = 10_000 }: { stepMs?: number; limitMs?: number } = {},
): Promise<number> {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  op.then(mark, mark);
  const start = clock.now();
  while (!settled) {
    if (clock.now() - start > limitMs) {
      throw new Error(
        `still pending after ${clock.now() - start} ms of fake time (${clock.pending} sleeps waiting on the clock)`,
      );
    }
    await clock.advance(stepMs);
  }
  return clock.now() - start;
}

/** `op`'s own outcome, once fake time has been moved along far enough for it to settle. */
export async function settle<T>(clock: ManualClock, op: Promise<T>): Promise<T> {
  await fakeDuration(clock, op);
  return op;
}

/**
 * Looks with `look` every `everyMs` of real time until `done` holds for what it saw, and
 * returns that; past `timeoutMs` it throws, naming what it waited for and what it saw last.
 */
export async function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  { timeoutMs = 2000, everyMs = 5 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await look();
    if (done(seen)) return seen;
    if (Date.now() > deadline) {
      throw new Error(
        `gave up after ${timeoutMs} ms waiting for ${what}; last saw ${JSON.stringify(seen)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
