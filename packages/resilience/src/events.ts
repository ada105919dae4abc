import { type DriverError, type DriverOperation, TypedEvents } from '@berth/core';

export type CircuitState = 'closed' | 'open' | 'halfOpen';

export interface ResilienceEventMap {
  /** A failed attempt that will be retried after `delayMs`. */
  retry: { operation: DriverOperation; attempt: number; error: DriverError; delayMs: number };
  /** A retried create found the container its failed attempt made, and returned it. */
  recovered: { operation: DriverOperation; attempt: number; id: string };
  /** Retrying stopped because the retry budget is spent. */
  'budget:exhausted': { operation: DriverOperation; error: DriverError };
  'circuit:open': { scope: string };
  'circuit:halfOpen': { scope: string };
  'circuit:close': { scope: string };
  /** A call refused because the circuit is open. */
  'circuit:reject': { scope: string; operation: DriverOperation };
}

export class ResilienceEvents extends TypedEvents<ResilienceEventMap> {}
