import { ConfigurationError } from '@berth/core';

export interface ReserveOptions {
  /** Wait for capacity instead of failing at once (default false). */
  wait?: boolean;
  /** With `wait`: give up after this long, with a PoolWaitTimeoutError. Unset: no limit. */
  timeoutMs?: number;
  /** Aborts the wait; the request then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type TrackedEvent = 'removed' | 'died';

export interface TrackOptions {
  /** Which container events give the allocation back (default both). */
  on?: readonly TrackedEvent[];
}

const RESERVE_KEYS = new Set(['wait', 'timeoutMs', 'signal']);

export function readReserveOptions(
  options: ReserveOptions | undefined,
  operation: string,
): ReserveOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(
      `pool.${operation} options must be an object { wait?, timeoutMs?, signal? }, got ${String(options)}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!RESERVE_KEYS.has(key)) {
      throw new ConfigurationError(
        `pool.${operation} has no option '${key}': it takes wait, timeoutMs and signal.`,
      );
    }
  }
  const { wait, timeoutMs, signal } = options;
  if (wait !== undefined && typeof wait !== 'boolean') {
    throw new ConfigurationError(
      `pool.${operation}: wait must be true or false, got ${String(wait)}.`,
    );
  }
  if (timeoutMs !== undefined) {
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new ConfigurationError(
        `pool.${operation}: timeoutMs must be a finite number of milliseconds, 0 or more, got ${String(timeoutMs)} (leave it out to wait without limit).`,
      );
    }
    if (wait !== true) {
      throw new ConfigurationError(
        `pool.${operation}: timeoutMs bounds a wait, and this request does not wait: add wait: true, or drop timeoutMs.`,
      );
    }
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfigurationError(
      `pool.${operation}: signal must be an AbortSignal (from an AbortController), got ${String(signal)}.`,
    );
  }
  return { wait: wait === true, timeoutMs, signal };
}

export function readTrackOptions(options: TrackOptions | undefined): Set<TrackedEvent> {
  const on = options?.on ?? ['removed', 'died'];
  if (!Array.isArray(on) || on.some((e) => e !== 'removed' && e !== 'died')) {
    throw new ConfigurationError(
      `pool.track: on must list 'removed' and/or 'died', got ${JSON.stringify(on)}.`,
    );
  }
  return new Set(on);
}
