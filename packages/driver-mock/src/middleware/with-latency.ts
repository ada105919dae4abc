import type { ContainerDriver, OperationCall } from '@berth/core';
import type { MockClock } from '../determinism/clock.js';
import { SeededRandom } from '../determinism/seeded-random.js';
import { layer, requireDriver, signalOfCall } from './layer.js';
import { OptionReader } from './option-checks.js';

export interface LatencyOptions {
  /** Shortest wait before each operation, in milliseconds. */
  minMs: number;
  /** Longest wait; equal to `minMs` for a fixed latency. */
  maxMs: number;
  /** Seeds the waits (default 1): the same seed waits the same times. */
  seed?: number;
  /** Time source; pass a ManualClock to drive the waits with fake time. Default: real time. */
  clock?: MockClock;
}

/**
 * Wraps any driver so every operation first waits a seeded time between `minMs` and `maxMs` on
 * `clock` (streamLogs: once, when iteration starts). The wait ends early with the signal's
 * reason when the call's signal aborts, and the driver is then not called.
 */
export function withLatency<D extends ContainerDriver>(driver: D, options: LatencyOptions): D {
  requireDriver(driver, 'withLatency');
  const reader = new OptionReader('withLatency options', options, true);
  const minMs = reader.milliseconds('minMs');
  const maxMs = reader.milliseconds('maxMs');
  const seed = reader.seed();
  const clock = reader.clock();
  if (minMs > maxMs) reader.refuse(['maxMs'], `must be at least minMs (${minMs}), got ${maxMs}`);
  reader.done();
  const random = new SeededRandom(seed);

  const wait = (call: OperationCall): Promise<void> | undefined => {
    const signal = signalOfCall(call);
    signal?.throwIfAborted();
    const ms = random.between(minMs, maxMs);
    // No sleep at all for a zero wait, so a ManualClock need not be advanced for it.
    return ms > 0 ? clock.sleep(ms, signal) : undefined;
  };

  return layer(driver, {
    async call(call, next) {
      await wait(call);
      return next();
    },
    async *stream(call, open) {
      await wait(call);
      yield* await open();
    },
  });
}
