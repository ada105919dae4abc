import {
  ConfigurationError,
  type DriverOperation,
  isDriverOperation,
  NetworkError,
} from '@berth/core';
import type { SeededRandom } from '../determinism/seeded-random.js';
import { shown } from './option-checks.js';

/** An error to throw: an instance (thrown as is, every time) or a factory (a fresh one each time). */
export type FaultError = Error | (() => Error);

/** `'*'` matches every operation. */
export type FaultTarget = DriverOperation | '*';

interface ScriptedFault {
  target: FaultTarget;
  remaining: number;
  error: FaultError;
  /** Fail after the operation took effect (a lost reply), instead of before. */
  afterEffect: boolean;
}

export type FaultTiming = 'before' | 'after';

/**
 * Seeded, scriptable failures, the controls of `withFaults` (and so of the mocks' `faults`).
 * Scripts run first, in the order given; rates draw from a PRNG seeded by the layer's `seed`,
 * so a run is repeatable.
 */
export class FaultInjector {
  #scripts: ScriptedFault[] = [];
  #rates = new Map<FaultTarget, { rate: number; error: FaultError }>();
  #down = false;
  readonly #random: SeededRandom;

  constructor(random: SeededRandom) {
    this.#random = random;
  }

  /** The next `count` calls of `operation` throw `error` without taking effect. */
  failNext(operation: FaultTarget, count: number, error: FaultError): this {
    checkFault('failNext', operation, error, count);
    this.#scripts.push({ target: operation, remaining: count, error, afterEffect: false });
    return this;
  }

  /**
   * The next `count` (default 1) calls of `operation` take effect but then throw `error`, like a
   * reply lost after the engine did the work ("created, but the caller saw a timeout").
   */
  succeedThenFail(operation: FaultTarget, error: FaultError, count = 1): this {
    checkFault('succeedThenFail', operation, error, count);
    this.#scripts.push({ target: operation, remaining: count, error, afterEffect: true });
    return this;
  }

  /** Each call of `operation` throws `error` with probability `rate` (0–1), before taking effect. */
  failRate(operation: FaultTarget, rate: number, error: FaultError): this {
    // A RangeError, not a ConfigurationError, since the first release: tests catch it by class.
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate must be within 0..1, got ${rate}`);
    checkFault('failRate', operation, error);
    this.#rates.set(operation, { rate, error });
    return this;
  }

  /** Takes the whole driver down: every call fails with a retryable NetworkError until up(). */
  down(): this {
    this.#down = true;
    return this;
  }

  up(): this {
    this.#down = false;
    return this;
  }

  get isDown(): boolean {
    return this.#down;
  }

  /** Removes every script and rate and brings the driver up. */
  clear(): this {
    this.#scripts = [];
    this.#rates.clear();
    this.#down = false;
    return this;
  }

  /** The error this call must throw at `timing`, if any; consumes scripted faults. */
  take(operation: DriverOperation, timing: FaultTiming, driverName: string): Error | undefined {
    if (timing === 'before' && this.#down) {
      return new NetworkError(`${driverName} is down (fault injection): ${operation} failed`);
    }
    const script = this.#scripts.find(
      (s) =>
        (s.target === operation || s.target === '*') &&
        s.afterEffect === (timing === 'after') &&
        s.remaining > 0,
    );
    if (script) {
      script.remaining -= 1;
      if (script.remaining === 0) this.#scripts = this.#scripts.filter((s) => s !== script);
      return materialize(script.error);
    }
    if (timing === 'after') return undefined;
    const rated = this.#rates.get(operation) ?? this.#rates.get('*');
    if (rated && this.#random.next() < rated.rate) return materialize(rated.error);
    return undefined;
  }
}

function materialize(error: FaultError): Error {
  return typeof error === 'function' ? error() : error;
}

/**
 * A misspelt operation or a non-error would script a fault that never fires or throws
 * something odd much later, so both are refused where they are written.
 */
function checkFault(method: string, operation: unknown, error: unknown, count?: unknown): void {
  const problems: { path: string[]; message: string }[] = [];
  if (operation !== '*' && !isDriverOperation(operation as PropertyKey)) {
    problems.push({
      path: ['operation'],
      message: `must be a contract operation such as 'createContainer', or '*' for all, got ${shown(operation)}`,
    });
  }
  if (!(error instanceof Error) && typeof error !== 'function') {
    problems.push({
      path: ['error'],
      message: `must be an Error or a function returning one, got ${shown(error)}`,
    });
  }
  if (count !== undefined && !(Number.isInteger(count) && (count as number) >= 0)) {
    problems.push({
      path: ['count'],
      message: `must be a whole number of calls, 0 or more, got ${shown(count)}`,
    });
  }
  if (problems.length === 0) return;
  const list = problems.map((p) => `  - ${p.path.join('.')}: ${p.message}`).join('\n');
  throw new ConfigurationError(
    `Invalid faults.${method}(…):\n${list}`,
    problems.map((p) => ({ ...p, stage: 'schema' as const })),
  );
}
