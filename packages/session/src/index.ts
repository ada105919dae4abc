export { realClock, type SessionClock } from './clock.js';
export {
  type ServiceEvent,
  type SessionEventBase,
  type SessionEventMap,
  type SessionEventName,
  SessionEvents,
} from './events/session-events.js';
export { EXPIRES_LABEL, SERVICE_LABEL } from './labels.js';
export { SessionStartError } from './session/errors.js';
export { type EndReason, Session } from './session/session.js';
export {
  type ResourceAmounts,
  SessionManager,
  type SessionManagerOptions,
  type SessionPool,
} from './session/session-manager.js';
export type { ServiceSpec, SessionSpec } from './session/session-spec.js';
