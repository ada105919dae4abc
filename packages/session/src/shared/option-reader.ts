import { ConfigurationError, type ContainerDriver, type ValidationIssue } from '@berth/core';
import type { SessionClock } from '../clock.js';
import { SessionEvents } from '../events/session-events.js';

/**
 * Reads one component's options, collecting every problem so that a single ConfigurationError
 * lists them all (as the contract's own validation does) instead of one per attempt.
 */
export class OptionReader {
  readonly #what: string;
  readonly #options: Record<string, unknown>;
  readonly #issues: ValidationIssue[] = [];
  readonly #parent: { reader: OptionReader; key: string } | undefined;

  constructor(
    what: string,
    options: unknown,
    known: readonly string[],
    parent?: { reader: OptionReader; key: string },
  ) {
    this.#what = what;
    this.#parent = parent;
    if (options === undefined) this.#options = {};
    else if (isRecord(options)) this.#options = options;
    else {
      this.#options = {};
      this.refuse([], `expected an options object, got ${shown(options)}`);
    }
    for (const key of Object.keys(this.#options)) {
      // A misspelt option would otherwise be a silent default: say which ones exist.
      if (!known.includes(key)) {
        this.refuse([key], `is not an option; the options are ${known.join(', ')}`);
      }
    }
  }

  refuse(path: string[], message: string): void {
    if (this.#parent) this.#parent.reader.refuse([this.#parent.key, ...path], message);
    else this.#issues.push({ path, message, stage: 'schema' });
  }

  /** A nested options object (such as `backoff`): its problems are listed with the parent's. */
  nested(key: string, known: readonly string[]): OptionReader {
    return new OptionReader(this.#what, this.#options[key], known, { reader: this, key });
  }

  #problem(key: string, message: string): void {
    this.refuse([key], message);
  }

  /** A number of milliseconds: `min` or more, or above `min` when `exclusive`. */
  milliseconds(key: string, fallback: number, min = 0, exclusive = false): number {
    return this.number(key, fallback, min, exclusive, 'a number of milliseconds');
  }

  number(
    key: string,
    fallback: number,
    min: number,
    exclusive: boolean,
    kind = 'a number',
  ): number {
    const value = this.#options[key];
    if (value === undefined) return fallback;
    if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (exclusive ? value > min : value >= min)
    ) {
      return value;
    }
    this.#problem(
      key,
      `must be ${kind} ${exclusive ? 'above' : 'of at least'} ${min}, got ${shown(value)}`,
    );
    return fallback;
  }

  integer(key: string, fallback: number, min: number): number {
    const value = this.#options[key];
    if (value === undefined) return fallback;
    if (Number.isInteger(value) && (value as number) >= min) return value as number;
    this.#problem(key, `must be a whole number of at least ${min}, got ${shown(value)}`);
    return fallback;
  }

  optionalString(key: string): string | undefined {
    const value = this.#options[key];
    if (value === undefined || (typeof value === 'string' && value.length > 0)) return value;
    this.#problem(key, `must be a non-empty string, got ${shown(value)}`);
    return undefined;
  }

  optionalFunction<F extends (...args: never[]) => unknown>(key: string): F | undefined {
    const value = this.#options[key];
    if (value === undefined || typeof value === 'function') return value as F | undefined;
    this.#problem(key, `must be a function, got ${shown(value)}`);
    return undefined;
  }

  clock(key: string, fallback: SessionClock): SessionClock {
    const value = this.#options[key] as Partial<SessionClock> | undefined;
    if (value === undefined) return fallback;
    if (isRecord(value) && typeof value.now === 'function' && typeof value.sleep === 'function') {
      return value as SessionClock;
    }
    this.#problem(
      key,
      `must be a SessionClock (an object with now() and sleep(ms, signal)), such as realClock or driver-mock's ManualClock, got ${shown(value)}`,
    );
    return fallback;
  }

  /** Events to emit on; a new emitter when none is given and `required` is false. */
  events(key: string, required: boolean): SessionEvents {
    const value = this.#options[key];
    if (value instanceof SessionEvents) return value;
    if (value === undefined && !required) return new SessionEvents();
    this.#problem(
      key,
      value === undefined
        ? 'is required: pass the SessionEvents the HealthMonitor emits on (monitor.events)'
        : `must be a SessionEvents (such as monitor.events), got ${shown(value)}`,
    );
    return new SessionEvents();
  }

  /** Throws the ConfigurationError listing every problem, if there was one. */
  done(): void {
    if (this.#issues.length === 0) return;
    const list = this.#issues.map((i) => `  - ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new ConfigurationError(`Invalid ${this.#what} options:\n${list.join('\n')}`, [
      ...this.#issues,
    ]);
  }
}

/** Refuses what is not a ContainerDriver with the methods `needed`, before anything runs. */
export function requireDriver(
  what: string,
  driver: unknown,
  needed: readonly (keyof ContainerDriver & string)[],
): ContainerDriver {
  const missing = isRecord(driver)
    ? needed.filter((method) => typeof driver[method] !== 'function')
    : needed;
  if (isRecord(driver) && missing.length === 0) return driver as unknown as ContainerDriver;
  throw new ConfigurationError(
    `${what} needs a ContainerDriver (such as new DockerDriver() or new MockDockerDriver()) as its first argument, got ${shown(driver)}${isRecord(driver) ? ` without ${missing.join(', ')}` : ''}`,
    [{ path: [], message: `missing ${missing.join(', ')}`, stage: 'schema' }],
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function shown(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
