import { TimeoutError } from '@berth/core';
import type { SessionClock } from '../clock.js';

/**
 * Runs `call` with a signal that aborts when `outer` does or after `ms` on `clock`, and settles
 * as soon as either happens, even if the driver ignores the signal: a hung backend must not
 * hang a health round. Past the deadline it rejects with a TimeoutError naming `operation`.
 * The deadline's sleep is cancelled once the call settles, so nothing is left pending.
 */
export function withDeadline<T>(
  clock: SessionClock,
  ms: number,
  outer: AbortSignal,
  operation: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (outer.aborted) return Promise.reject(outer.reason);
  const callSignal = new AbortController();
  const deadline = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const settle = (fn: () => void) => {
      deadline.abort();
      outer.removeEventListener('abort', onOuterAbort);
      fn();
    };
    const onOuterAbort = () =>
      settle(() => {
        callSignal.abort(outer.reason);
        reject(outer.reason);
      });
    outer.addEventListener('abort', onOuterAbort, { once: true });
    clock.sleep(ms, deadline.signal).then(
      () =>
        settle(() => {
          const error = new TimeoutError(operation, ms);
          callSignal.abort(error);
          reject(error);
        }),
      // Cancelled because the call settled first: nothing to do.
      () => {},
    );
    let pending: Promise<T>;
    try {
      pending = call(callSignal.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
