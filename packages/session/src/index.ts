// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

export { realClock, type SessionClock } from './clock.js';
export {
  type ServiceEvent,
  type SessionEventBase,
  type SessionEventMap,
  type SessionEventName,
  SessionEvents,
} from './events/session-events.js';
export {
  type HealthAlert,
  HealthMonitor,
  type HealthMonitorOptions,
} from './health/health-monitor.js';
export { EXPIRES_LABEL, SERVICE_LABEL } from './labels.js';
export {
  amountsOf,
  type PoolCapacity,
  type PoolResource,
  type ResourceAmounts,
  type ResourceRequest,
} from './pool/amounts.js';
export { PoolLimitError, PoolWaitTimeoutError } from './pool/errors.js';
export type { Allocation, Reservation } from './pool/handles.js';
export type { ReserveOptions, TrackedEvent, TrackOptions } from './pool/options.js';
export { type PoolState, ResourcePool, type ResourcePoolOptions } from './pool/resource-pool.js';
export {
  type FailureDecision,
  Recovery,
  type RecoveryOptions,
  type ServiceFailure,
} from './recovery/recovery.js';
export type { BackoffOptions, BudgetOptions } from './recovery/restart-budget.js';
export {
  type DriverLimits,
  DriverSelector,
  type DriverSelectorOptions,
  type SelectableDriver,
  type Selection,
  type SelectOptions,
} from './selection/driver-selector.js';
export { type DriverRejection, NoDriverFitsError } from './selection/errors.js';
export type { CapabilityNeeds } from './selection/needs.js';
export { SessionStartError } from './session/errors.js';
export { type EndReason, Session, type WatchOptions } from './session/session.js';
export {
  SessionManager,
  type SessionManagerOptions,
  type SessionPool,
} from './session/session-manager.js';
export type { ServiceSpec, SessionSpec } from './session/session-spec.js';
