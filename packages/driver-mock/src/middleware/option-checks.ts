import { ConfigurationError, type ValidationIssue } from '@berth/core';
import { type MockClock, systemClock } from '../determinism/clock.js';

/**
 * Reads a layer's options, collecting every problem so one ConfigurationError lists them all,
 * as the contract's own validation does.
 */
export class OptionReader {
  readonly #what: string;
  readonly #options: Record<string, unknown>;
  readonly #issues: ValidationIssue[] = [];

  constructor(what: string, options: unknown, required: boolean) {
    this.#what = what;
    if (options === undefined && !required) this.#options = {};
    else if (typeof options === 'object' && options !== null && !Array.isArray(options)) {
      this.#options = options as Record<string, unknown>;
    } else {
      this.#options = {};
      this.#problem([], `expected an options object, got ${shown(options)}`);
      this.done();
    }
  }

  #problem(path: string[], message: string): void {
    this.#issues.push({ path, message, stage: 'schema' });
  }

  #read(key: string): unknown {
    try {
      return this.#options[key];
    } catch {
      this.#problem([key], 'reading it threw; pass plain data');
      return undefined;
    }
  }

  /** Any finite number (fractions are truncated the way the PRNG takes seeds). */
  seed(key = 'seed'): number {
    const value = this.#read(key);
    if (value === undefined) return 1;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.#problem([key], `must be a finite number, got ${shown(value)}`);
    return 1;
  }

  /** A MockClock; the real one when none is given. */
  clock(key = 'clock'): MockClock {
    const value = this.#read(key) as Partial<MockClock> | undefined;
    if (value === undefined) return systemClock;
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof value.now === 'function' &&
      typeof value.sleep === 'function'
    ) {
      return value as MockClock;
    }
    this.#problem(
      [key],
      `must be a MockClock (an object with now() and sleep(ms, signal)), such as new ManualClock(), got ${shown(value)}`,
    );
    return systemClock;
  }

  /** A duration in milliseconds, 0 or more. */
  milliseconds(key: string, fallback?: number): number {
    const value = this.#read(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    this.#problem([key], `must be a number of milliseconds, 0 or more, got ${shown(value)}`);
    return 0;
  }

  /** Records a problem found across options, such as a range given upside down. */
  refuse(path: string[], message: string): void {
    this.#problem(path, message);
  }

  /** Throws the ConfigurationError listing every problem, if there was one. */
  done(): void {
    if (this.#issues.length === 0) return;
    const list = this.#issues.map((i) => `  - ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigurationError(`Invalid ${this.#what}:\n${list.join('\n')}`, this.#issues);
  }
}

export function shown(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
