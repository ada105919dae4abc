import type { ContainerDriver, OperationCall } from '@berth/core';
import { SeededRandom } from '../determinism/seeded-random.js';
import { FaultInjector } from './fault-injector.js';
import { type Controlled, layerWithControls, requireDriver, signalOfCall } from './layer.js';
import { OptionReader } from './option-checks.js';

export interface FaultOptions {
  /** Seeds the failure rates (default 1): the same seed fails the same calls. */
  seed?: number;
}

/** A driver wrapped by withFaults: its own members, and the layer's `faults`. */
export type WithFaults<D extends ContainerDriver> = Controlled<D, { faults: FaultInjector }>;

// Mixed into the seed so the mocks' rates, drawn here, repeat what they drew before the layer.
const FAULT_STREAM = 0x27d4eb2d;

/**
 * Wraps any driver so calls fail on demand through `.faults`. Faults scripted "before" fail the
 * call without reaching the driver; "after" ones (`succeedThenFail`) let the driver do the work
 * and then throw. For streamLogs both apply when iteration starts and, for "after", once the
 * whole stream has been read. A call whose signal has already aborted fails with its reason
 * first, as a driver would.
 */
export function withFaults<D extends ContainerDriver>(
  driver: D,
  options?: FaultOptions,
): WithFaults<D> {
  requireDriver(driver, 'withFaults');
  const reader = new OptionReader('withFaults options', options, false);
  const seed = reader.seed();
  reader.done();
  const faults = new FaultInjector(new SeededRandom(seed ^ FAULT_STREAM));

  const before = (call: OperationCall) => {
    signalOfCall(call)?.throwIfAborted();
    const error = faults.take(call.operation, 'before', driver.name);
    if (error) throw error;
  };
  const after = (call: OperationCall) => {
    const error = faults.take(call.operation, 'after', driver.name);
    if (error) throw error;
  };

  return layerWithControls(
    driver,
    {
      async call(call, next) {
        before(call);
        const result = await next();
        after(call);
        return result;
      },
      async *stream(call, open) {
        before(call);
        yield* await open();
        after(call);
      },
    },
    { faults },
  );
}
