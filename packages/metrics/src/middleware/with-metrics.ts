import {
  ConfigurationError,
  type ContainerDriver,
  type DriverMiddleware,
  type DriverOperation,
  isAbortError,
  type LogLine,
  type OperationCall,
  wrapDriver,
} from '@berth/core';
import { Registry } from 'prom-client';
import { checkPrefix, checkRegistry } from '../shared/names.js';
import { codeLabel, KNOWN_ERROR_CODES } from './error-codes.js';
import {
  DEFAULT_DURATION_BUCKETS,
  type OperationMetrics,
  type Outcome,
  operationMetrics,
} from './operation-metrics.js';

export interface MetricsOptions {
  /** Where the metrics go; a new Registry of its own by default, never prom-client's global one. */
  registry?: Registry;
  /** Starts every metric name; default `berth_`. */
  prefix?: string;
  /** Histogram buckets in seconds; default from 0.5 ms to 5 min. */
  buckets?: readonly number[];
  /** Error codes kept as label values besides Berth's own; any other code is counted as 'other'. */
  extraErrorCodes?: readonly string[];
}

export interface MetricsMiddleware {
  middleware: DriverMiddleware;
  registry: Registry;
}

/** A driver wrapped by withMetrics: the same driver, and the registry its metrics are in. */
export type WithMetrics<D extends ContainerDriver> = D & { readonly metricsRegistry: Registry };

const WHERE = 'metrics options';

function checkBuckets(buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_DURATION_BUCKETS;
  const valid =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > buckets[i - 1]));
  if (!valid) {
    throw new ConfigurationError(
      `${WHERE}: buckets must be increasing positive numbers of seconds`,
    );
  }
  return buckets as number[];
}

function checkCodes(codes: unknown): readonly string[] {
  if (codes === undefined) return [];
  if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string' && c.length > 0)) {
    throw new ConfigurationError(`${WHERE}: extraErrorCodes must be non-empty strings`);
  }
  return codes;
}

interface Children {
  success: { inc(by?: number): void };
  error: { inc(by?: number): void };
  aborted: { inc(by?: number): void };
  duration: { observe(seconds: number): void };
}

/**
 * The metrics as a middleware, to compose with others in one wrapDriver call. The labelled
 * children are resolved once per driver and operation: prom-client's labels() builds a key per
 * call, which would be most of the cost on a fast driver.
 */
export function metricsMiddleware(options: MetricsOptions = {}): MetricsMiddleware {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`${WHERE} must be an object`);
  }
  const registry = checkRegistry(options.registry, WHERE) ?? new Registry();
  const prefix = checkPrefix(options.prefix, WHERE);
  const known = new Set([...KNOWN_ERROR_CODES, ...checkCodes(options.extraErrorCodes)]);
  const metrics: OperationMetrics = operationMetrics(
    registry,
    prefix,
    checkBuckets(options.buckets),
  );

  const cache = new Map<string, Map<DriverOperation, Children>>();
  const childrenOf = (driver: string, operation: DriverOperation): Children => {
    let byOperation = cache.get(driver);
    if (!byOperation) {
      byOperation = new Map();
      cache.set(driver, byOperation);
    }
    let children = byOperation.get(operation);
    if (!children) {
      children = {
        success: metrics.operations.labels(driver, operation, 'success'),
        error: metrics.operations.labels(driver, operation, 'error'),
        aborted: metrics.operations.labels(driver, operation, 'aborted'),
        duration: metrics.duration.labels(driver, operation),
      };
      // Every outcome at 0 from the first call on, so a rate over it starts at 0, not absent.
      children.success.inc(0);
      children.error.inc(0);
      children.aborted.inc(0);
      byOperation.set(operation, children);
    }
    return children;
  };

  const record = (call: OperationCall, started: number, error?: unknown) => {
    const driver = call.driver.name;
    const children = childrenOf(driver, call.operation);
    children.duration.observe((performance.now() - started) / 1000);
    if (error === undefined) {
      children.success.inc();
      return;
    }
    const outcome: Outcome = isAbortError(error) ? 'aborted' : 'error';
    children[outcome].inc();
    if (outcome === 'error') {
      metrics.errors.labels(driver, call.operation, codeLabel(error, known)).inc();
    }
  };

  // Runs when iteration starts (wrapDriver defers it), so the time covers the stream's life.
  async function* timedStream(
    call: OperationCall,
    source: AsyncIterable<LogLine>,
    started: number,
  ): AsyncGenerator<LogLine> {
    let failure: unknown;
    try {
      yield* source;
    } catch (error) {
      failure = error ?? new Error('stream failed');
      throw error;
    } finally {
      // A consumer that stops early (break) ends the stream as a success.
      record(call, started, failure);
    }
  }

  const middleware = (async (call: OperationCall, next: () => Promise<unknown>) => {
    const started = performance.now();
    let result: unknown;
    try {
      result = await next();
    } catch (error) {
      record(call, started, error ?? new Error('operation failed'));
      throw error;
    }
    if (call.operation === 'streamLogs') {
      return timedStream(call, result as AsyncIterable<LogLine>, started);
    }
    record(call, started);
    return result;
  }) as unknown as DriverMiddleware;

  return { middleware, registry };
}

/**
 * Wraps `driver` so every contract operation is counted and timed (see the README for the
 * metric names). The returned driver is the same driver otherwise, with `metricsRegistry`.
 */
export function withMetrics<D extends ContainerDriver>(
  driver: D,
  options: MetricsOptions = {},
): WithMetrics<D> {
  if (typeof driver !== 'object' || driver === null || typeof driver.name !== 'string') {
    throw new ConfigurationError('withMetrics: the first argument must be a ContainerDriver');
  }
  const { middleware, registry } = metricsMiddleware(options);
  const wrapped = wrapDriver(driver, middleware);
  return new Proxy(wrapped, {
    get(target, property, receiver) {
      if (property === 'metricsRegistry') return registry;
      return Reflect.get(target, property, receiver);
    },
  }) as WithMetrics<D>;
}
