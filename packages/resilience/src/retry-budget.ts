export interface RetryBudgetOptions {
  /** Bucket size; retries are allowed while more than half of it is left. Default 10. */
  maxTokens?: number;
  /** Tokens a success puts back; a failure takes one. Default 0.1 (one failure in ten calls is sustainable). */
  tokenRatio?: number;
}

/**
 * A token bucket shared by all calls through one driver: failures drain it, successes refill it
 * slowly. When too large a share of recent calls failed, retries stop, so a dead backend sees
 * one call per request instead of one per attempt.
 */
export class RetryBudget {
  readonly #max: number;
  readonly #ratio: number;
  #tokens: number;

  constructor(options: RetryBudgetOptions = {}) {
    this.#max = options.maxTokens ?? 10;
    this.#ratio = options.tokenRatio ?? 0.1;
    this.#tokens = this.#max;
  }

  onSuccess(): void {
    this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }

  onFailure(): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  get canRetry(): boolean {
    return this.#tokens > this.#max / 2;
  }

  get tokens(): number {
    return this.#tokens;
  }
}
