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
  type FailureDecision,
  Recovery,
  type RecoveryOptions,
  type ServiceFailure,
} from './recovery/recovery.js';
export type { BackoffOptions, BudgetOptions } from './recovery/restart-budget.js';
export { SessionStartError } from './session/errors.js';
export { type EndReason, Session } from './session/session.js';
export {
  type ResourceAmounts,
  SessionManager,
  type SessionManagerOptions,
  type SessionPool,
} from './session/session-manager.js';
export type { ServiceSpec, SessionSpec } from './session/session-spec.js';
