import {
  type DriverMiddleware,
  type DriverOperation,
  type OperationArgs,
  type OperationCall,
  type OperationResult,
  toDriverError,
} from '@berth/core';
import CircuitBreaker from 'opossum';
import { isBackendFailure } from './backend-failure.js';
import { CircuitOpenError } from './errors.js';
import { type CircuitState, ResilienceEvents } from './events.js';

export interface BreakerOptions {
  /** Backend failures within the rolling window that open the circuit. Default 5. */
  failureThreshold?: number;
  /** The window failures are counted in. Default 10 000 ms. */
  rollingWindowMs?: number;
  /** How long the circuit stays open before letting one probe through. Default 30 000 ms. */
  resetTimeoutMs?: number;
  /** One circuit per operation instead of one for the whole driver. */
  perOperation?: boolean;
  events?: ResilienceEvents;
}

export interface CircuitStats {
  state: CircuitState;
  /** Backend failures counted in the current window. */
  recentFailures: number;
  failures: number;
  successes: number;
  rejects: number;
  opens: number;
}

/** The observable side of a breaker: its state, counts and state-change events. */
export interface Circuit {
  readonly state: CircuitState;
  stats(): CircuitStats;
  /** State of one operation's circuit (the shared one unless `perOperation`). */
  stateOf(operation: DriverOperation): CircuitState;
  on(
    event: 'open' | 'halfOpen' | 'close' | 'reject',
    listener: (payload: { scope: string }) => void,
  ): () => void;
  /** Stops every timer, so the process can exit. Calls after it are refused. */
  shutdown(): void;
}

interface Scope {
  name: string;
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  failureTimes: number[];
  counts: { failures: number; successes: number; rejects: number; opens: number };
}

const SCOPE_EVENTS = {
  open: 'circuit:open',
  halfOpen: 'circuit:halfOpen',
  close: 'circuit:close',
} as const;

function stateOf(scope: Scope): CircuitState {
  if (scope.breaker.opened) return 'open';
  if (scope.breaker.halfOpen) return 'halfOpen';
  return 'closed';
}

/**
 * A circuit breaker (opossum) around a driver: closed → open when `failureThreshold` backend
 * failures fall within the rolling window → half-open after the reset timeout, letting one
 * probe through → closed on its success, open again on its failure. Errors about the request
 * (not found, invalid config, conflicts) are not failures of the backend and do not count.
 */
export function withCircuitBreaker(
  options: BreakerOptions = {},
): DriverMiddleware & { circuit: Circuit } {
  const threshold = options.failureThreshold ?? 5;
  const windowMs = options.rollingWindowMs ?? 10_000;
  const events = options.events ?? new ResilienceEvents();
  const scopes = new Map<string, Scope>();
  let stopped = false;

  const scopeFor = (operation: DriverOperation): Scope => {
    const name = options.perOperation ? operation : 'driver';
    const existing = scopes.get(name);
    if (existing) return existing;
    const breaker = new CircuitBreaker((run: () => Promise<unknown>) => run(), {
      timeout: false,
      resetTimeout: options.resetTimeoutMs ?? 30_000,
      rollingCountTimeout: windowMs,
      // Opening is decided here by a failure count (below), not by opossum's percentage.
      errorThresholdPercentage: 100,
      errorFilter: (error: unknown) => !isBackendFailure(error),
    });
    const scope: Scope = {
      name,
      breaker,
      failureTimes: [],
      counts: { failures: 0, successes: 0, rejects: 0, opens: 0 },
    };
    breaker.on('failure', () => {
      scope.counts.failures++;
      const now = Date.now();
      scope.failureTimes = scope.failureTimes.filter((t) => now - t < windowMs);
      scope.failureTimes.push(now);
      if (breaker.closed && scope.failureTimes.length >= threshold) breaker.open();
    });
    breaker.on('success', () => {
      scope.counts.successes++;
    });
    breaker.on('open', () => {
      scope.counts.opens++;
      events.emit('circuit:open', { scope: name });
    });
    breaker.on('halfOpen', () => events.emit('circuit:halfOpen', { scope: name }));
    breaker.on('close', () => {
      scope.failureTimes = [];
      events.emit('circuit:close', { scope: name });
    });
    scopes.set(name, scope);
    return scope;
  };

  const middleware = async <Op extends DriverOperation>(
    call: OperationCall<Op>,
    next: (args?: OperationArgs<Op>) => Promise<OperationResult<Op>>,
  ): Promise<OperationResult<Op>> => {
    if (stopped) throw new CircuitOpenError(call.operation);
    const scope = scopeFor(call.operation);
    if (call.operation === 'streamLogs') {
      // A stream cannot be judged by its start; refuse it while open, pass it through otherwise.
      if (!scope.breaker.closed) throw new CircuitOpenError(call.operation);
      return next();
    }
    try {
      return (await scope.breaker.fire(() => next())) as OperationResult<Op>;
    } catch (error) {
      if ((error as { code?: unknown })?.code === 'EOPENBREAKER') {
        scope.counts.rejects++;
        events.emit('circuit:reject', { scope: scope.name, operation: call.operation });
        throw new CircuitOpenError(call.operation);
      }
      throw toDriverError(error);
    }
  };

  const all = () => (scopes.size > 0 ? [...scopes.values()] : [scopeFor('listContainers')]);
  const circuit: Circuit = {
    get state() {
      const states = all().map(stateOf);
      if (states.includes('open')) return 'open';
      if (states.includes('halfOpen')) return 'halfOpen';
      return 'closed';
    },
    stateOf: (operation) => stateOf(scopeFor(operation)),
    stats() {
      const now = Date.now();
      const sum = { failures: 0, successes: 0, rejects: 0, opens: 0, recentFailures: 0 };
      for (const scope of all()) {
        sum.failures += scope.counts.failures;
        sum.successes += scope.counts.successes;
        sum.rejects += scope.counts.rejects;
        sum.opens += scope.counts.opens;
        sum.recentFailures += scope.failureTimes.filter((t) => now - t < windowMs).length;
      }
      return { state: circuit.state, ...sum };
    },
    on(event, listener) {
      if (event === 'reject') return events.on('circuit:reject', listener);
      return events.on(SCOPE_EVENTS[event], listener);
    },
    shutdown() {
      stopped = true;
      for (const scope of scopes.values()) scope.breaker.shutdown();
    },
  };
  return Object.assign(middleware as DriverMiddleware, { circuit });
}
