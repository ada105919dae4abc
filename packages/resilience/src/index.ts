// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

export { isBackendFailure } from './backend-failure.js';
export { CircuitOpenError, RetryError } from './errors.js';
export { type CircuitState, type ResilienceEventMap, ResilienceEvents } from './events.js';
export { DEFAULT_POLICIES, type OperationPolicy } from './policies.js';
export { type ResilientDriver, type ResilientOptions, resilient } from './resilient.js';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export {
  type BreakerOptions,
  type Circuit,
  type CircuitStats,
  withCircuitBreaker,
} from './with-circuit-breaker.js';
export { IDEMPOTENCY_LABEL, type RetryInfo, type RetryOptions, withRetry } from './with-retry.js';
