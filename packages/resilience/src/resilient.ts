import { type ContainerDriver, wrapDriver } from '@berth/core';
import { ResilienceEvents } from './events.js';
import { type BreakerOptions, type Circuit, withCircuitBreaker } from './with-circuit-breaker.js';
import { type RetryOptions, withRetry } from './with-retry.js';

export interface ResilientOptions {
  /** Retry options, or `false` for no retries. */
  retry?: RetryOptions | false;
  /** Breaker options, or `false` for no circuit breaker. */
  breaker?: BreakerOptions | false;
}

export type ResilientDriver<D extends ContainerDriver = ContainerDriver> = D & {
  /** The breaker's state and events (always closed when the breaker is off). */
  readonly circuit: Circuit;
  /** Retry, recovery and circuit events. */
  readonly resilience: ResilienceEvents;
  /** Clears every timer so the process can exit. */
  shutdown(): void;
};

const NO_CIRCUIT: Circuit = {
  state: 'closed',
  stateOf: () => 'closed',
  stats: () => ({
    state: 'closed',
    recentFailures: 0,
    failures: 0,
    successes: 0,
    rejects: 0,
    opens: 0,
  }),
  on: () => () => {},
  shutdown: () => {},
};

/**
 * The driver with retries outside and the circuit breaker inside: every attempt passes the
 * breaker, so attempts count as failures and an open circuit stops retrying at once
 * (CircuitOpenError is not retryable).
 */
export function resilient<D extends ContainerDriver>(
  driver: D,
  options: ResilientOptions = {},
): ResilientDriver<D> {
  const events = new ResilienceEvents();
  const breaker =
    options.breaker === false ? undefined : withCircuitBreaker({ ...options.breaker, events });
  const retry = options.retry === false ? undefined : withRetry({ ...options.retry, events });
  const layers = [retry, breaker].filter((m) => m !== undefined);
  const wrapped = wrapDriver(driver, ...layers);
  const circuit = breaker?.circuit ?? NO_CIRCUIT;
  const extras = { circuit, resilience: events, shutdown: () => circuit.shutdown() };
  return new Proxy(wrapped, {
    get(target, property, receiver) {
      if (Object.hasOwn(extras, property)) return extras[property as keyof typeof extras];
      return Reflect.get(target, property, target);
    },
  }) as ResilientDriver<D>;
}
