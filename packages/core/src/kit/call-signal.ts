import { TimeoutError } from '../errors/index.js';

/*
 * One call's signal: the caller's, plus the kit's timeout for the operation. Kept apart so a
 * timeout is reported as a TimeoutError and the caller's own abort as the caller's reason.
 */
export class CallSignal {
  readonly signal: AbortSignal | undefined;
  readonly #timer: AbortSignal | undefined;

  constructor(
    readonly caller: AbortSignal | undefined,
    readonly operation: string,
    readonly timeoutMs: number | undefined,
  ) {
    this.#timer = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const parts = [caller, this.#timer].filter((s): s is AbortSignal => s !== undefined);
    this.signal = parts.length <= 1 ? parts[0] : AbortSignal.any(parts);
  }

  /** Throws the caller's abort reason, or a TimeoutError once the timeout fired. */
  check(): void {
    this.caller?.throwIfAborted();
    if (this.#timer?.aborted) throw this.timeoutError();
  }

  /** The error to surface for `error`, thrown while this call ran. */
  explain(error: unknown): unknown {
    if (this.caller?.aborted) return error;
    if (this.#timer?.aborted) return this.timeoutError(error);
    return error;
  }

  timeoutError(cause?: unknown): TimeoutError {
    return new TimeoutError(this.operation, this.timeoutMs ?? 0, { cause, retryable: true });
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
