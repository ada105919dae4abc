export { realClock, type SessionClock } from './clock.js';
export {
  type ServiceEvent,
  type SessionEventBase,
  type SessionEventMap,
  type SessionEventName,
  SessionEvents,
} from './events/session-events.js';
