import type { ContainerDriver, DriverOperation, OperationCall } from '@berth/core';
import type { MockClock } from '../determinism/clock.js';
import { type Controlled, layerWithControls, requireDriver } from './layer.js';
import { OptionReader } from './option-checks.js';

/** One recorded call. */
export interface MockCall {
  operation: DriverOperation;
  /** The arguments as the caller passed them. */
  args: unknown[];
  /** `pending` until the call settles; a stream settles when its iteration ends. */
  outcome: 'pending' | 'success' | 'error';
  error?: unknown;
  /** When the call started (for streamLogs: when iteration started). */
  at: Date;
  /** When it settled. */
  settledAt?: Date;
}

export interface RecordOptions {
  /** Time source for `at` and `settledAt`; pass the ManualClock the test drives. */
  clock?: MockClock;
}

/** A driver wrapped by recordCalls: its own members, and the layer's `calls`. */
export type WithCalls<D extends ContainerDriver> = Controlled<D, { calls: MockCall[] }>;

/**
 * Wraps any driver so every contract call is recorded in `.calls`, in the order made, with its
 * arguments and outcome. streamLogs is recorded when iteration starts and settles when it ends:
 * `success` when the stream ran out or the reader stopped, `error` when it threw. Empty
 * `.calls` (`calls.length = 0`) to start over.
 */
export function recordCalls<D extends ContainerDriver>(
  driver: D,
  options?: RecordOptions,
): WithCalls<D> {
  requireDriver(driver, 'recordCalls');
  const reader = new OptionReader('recordCalls options', options, false);
  const clock = reader.clock();
  reader.done();
  const calls: MockCall[] = [];

  const begin = (call: OperationCall): MockCall => {
    const entry: MockCall = {
      operation: call.operation,
      args: [...call.args],
      outcome: 'pending',
      at: new Date(clock.now()),
    };
    calls.push(entry);
    return entry;
  };
  const settle = (entry: MockCall, failed: boolean, error?: unknown) => {
    entry.outcome = failed ? 'error' : 'success';
    if (failed) entry.error = error;
    entry.settledAt = new Date(clock.now());
  };

  return layerWithControls(
    driver,
    {
      async call(call, next) {
        const entry = begin(call);
        try {
          const result = await next();
          settle(entry, false);
          return result;
        } catch (error) {
          settle(entry, true, error);
          throw error;
        }
      },
      async *stream(call, open) {
        const entry = begin(call);
        try {
          yield* await open();
        } catch (error) {
          settle(entry, true, error);
          throw error;
        } finally {
          if (entry.outcome === 'pending') settle(entry, false);
        }
      },
    },
    { calls },
  );
}
