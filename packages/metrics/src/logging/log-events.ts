import {
  type BerthEventName,
  type BerthEvents,
  ConfigurationError,
  getErrorCode,
  getErrorMessage,
} from '@berth/core';
import type { SessionEventName, SessionEvents } from '@berth/session';

/** What pino, and most structured loggers, offer: an object of fields first, then a message. */
export interface EventLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

type Level = keyof EventLogger;

// Typed against both maps, so an event added to either fails to compile until it has a level.
const BERTH_LEVELS = {
  'container:created': 'info',
  'container:started': 'info',
  'container:stopped': 'info',
  'container:restarted': 'info',
  'container:removed': 'info',
  'container:healthy': 'info',
  'container:unhealthy': 'warn',
  'container:died': 'warn',
  'volume:created': 'info',
  'volume:removed': 'info',
  'network:created': 'info',
  'network:removed': 'info',
  'driver:warning': 'warn',
} as const satisfies Record<BerthEventName, Level>;

const SESSION_LEVELS = {
  'session:started': 'info',
  'session:ended': 'info',
  'session:rolled-back': 'error',
  'container:created': 'info',
  'container:started': 'info',
  'container:ready': 'info',
  'container:stopped': 'info',
  'container:removed': 'info',
  'container:healthy': 'info',
  'container:unhealthy': 'warn',
  'container:died': 'warn',
  'container:restarting': 'warn',
  'container:restarted': 'info',
  'service:failed': 'error',
  'driver:healthy': 'info',
  'driver:unhealthy': 'error',
  'pool:allocated': 'info',
  'pool:released': 'info',
} as const satisfies Record<SessionEventName, Level>;

const LEVELS: Record<string, Level> = { ...BERTH_LEVELS, ...SESSION_LEVELS };

interface Owner {
  sessionId?: string;
  tenantId?: string;
}

/** Owned objects (a container, volume, network) become their ids, never the whole record. */
function ownedFields(kind: string, value: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = { [`${kind}Id`]: value.id, [`${kind}Name`]: value.name };
  if (typeof value.sessionId === 'string') fields.sessionId = value.sessionId;
  if (typeof value.tenantId === 'string') fields.tenantId = value.tenantId;
  if (kind === 'container' && typeof value.image === 'string') fields.image = value.image;
  return fields;
}

function fieldsOf(event: string, payload: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = { event };
  for (const [key, value] of Object.entries(payload)) {
    if (value instanceof Date) fields[key] = value.toISOString();
    else if (key === 'container' || key === 'volume' || key === 'network') {
      if (typeof value === 'object' && value !== null) {
        Object.assign(fields, ownedFields(key, value as Record<string, unknown>));
      }
    } else if (key === 'cause') {
      fields.error = getErrorMessage(value);
      const code = getErrorCode(value);
      if (code !== undefined) fields.code = code;
    } else if (key === 'unenforced' && Array.isArray(value)) {
      fields.unenforced = value.map((f) => (f as { feature?: unknown }).feature);
    } else fields[key] = value;
  }
  return fields;
}

// Containers whose owner we learnt at creation; driver events after that carry only the id.
const MAX_REMEMBERED = 10_000;

/**
 * Logs every typed event of `events` (driver or session events) through `logger`, with the
 * session, tenant and container ids as fields. Returns the function that unsubscribes.
 */
export function logEvents(events: BerthEvents | SessionEvents, logger: EventLogger): () => void {
  if (typeof events !== 'object' || events === null || typeof events.on !== 'function') {
    throw new ConfigurationError('logEvents: events must be BerthEvents or SessionEvents');
  }
  for (const level of ['info', 'warn', 'error'] as const) {
    if (typeof logger?.[level] !== 'function') {
      throw new ConfigurationError(`logEvents: logger must have ${level}(fields, message)`);
    }
  }
  const owners = new Map<string, Owner>();
  // The union's `on` overloads cannot be called with a name from either map; one is enough here.
  const emitter = events as unknown as {
    on(event: string, listener: (payload: Record<string, unknown>) => void): () => void;
  };
  const offs = Object.entries(LEVELS).map(([event, level]) =>
    emitter.on(event, (payload) => {
      const fields = fieldsOf(event, payload);
      const containerId = fields.containerId;
      if (typeof containerId === 'string') {
        if (event === 'container:created' && (fields.sessionId || fields.tenantId)) {
          if (owners.size >= MAX_REMEMBERED) owners.delete(owners.keys().next().value as string);
          owners.set(containerId, {
            sessionId: fields.sessionId,
            tenantId: fields.tenantId,
          } as Owner);
        }
        const owner = owners.get(containerId);
        if (owner) {
          fields.sessionId ??= owner.sessionId;
          if (owner.tenantId !== undefined) fields.tenantId ??= owner.tenantId;
        }
        if (event === 'container:removed') owners.delete(containerId);
      }
      const actual: Level =
        event === 'session:ended' && payload.reason === 'failed' ? 'error' : level;
      logger[actual](fields, `berth ${event}`);
    }),
  );
  return () => {
    for (const off of offs) off();
    owners.clear();
  };
}
