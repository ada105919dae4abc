export interface BackoffOptions {
  /** Wait before the first attempt. Default 1000. */
  initialMs?: number;
  /** Each further attempt waits this many times longer. Default 2. */
  factor?: number;
  /** No wait is longer than this. Default 30000. */
  maxMs?: number;
}

export interface BudgetOptions {
  /** Restart attempts allowed per container within `windowMs`. Default 5. */
  restarts?: number;
  /** Length of the sliding window. Default 60000. */
  windowMs?: number;
}

export type Backoff = Required<BackoffOptions>;
export type Budget = Required<BudgetOptions>;

/** The wait before attempt `attempt` (1-based): min(initial · factor^(attempt-1), max). */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  return Math.min(backoff.initialMs * backoff.factor ** (attempt - 1), backoff.maxMs);
}

/**
 * The restart attempts of one container within a sliding window. It also numbers attempts:
 * the next one is one more than those in the window, so a container that keeps crashing
 * waits longer each time, and one that stayed up for a whole window starts over at the
 * shortest wait.
 */
export class RestartLedger {
  readonly #windowMs: number;
  #attempts: number[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Attempts made in the window ending at `now`. */
  count(now: number): number {
    this.#attempts = this.#attempts.filter((at) => at > now - this.#windowMs);
    return this.#attempts.length;
  }

  record(at: number): void {
    this.#attempts.push(at);
  }
}
