import { TypedEvents, type TypedEventsOptions } from '@berth/core';

/** What every session event says about where it happened. */
export interface SessionEventBase {
  at: Date;
  /** Name of the driver the session runs on. */
  driver: string;
  sessionId: string;
}

export interface ServiceEvent extends SessionEventBase {
  service: string;
  containerId: string;
}

/**
 * Events of sessions, health monitoring, recovery and pools. Container events carry the
 * session, the container and the service it runs, so a subscriber never has to look them up.
 */
export interface SessionEventMap {
  'session:started': SessionEventBase & { services: string[] };
  'session:ended': SessionEventBase & { reason: 'ended' | 'ttl' | 'idle' | 'failed' };
  'session:rolled-back': SessionEventBase & { cause: unknown; removed: string[] };
  'container:created': ServiceEvent;
  'container:started': ServiceEvent;
  'container:ready': ServiceEvent;
  'container:stopped': ServiceEvent;
  'container:removed': ServiceEvent;
  'container:healthy': ServiceEvent;
  'container:unhealthy': ServiceEvent;
  'container:died': ServiceEvent & { exitCode: number | undefined };
  'container:restarting': ServiceEvent & { attempt: number; delayMs: number };
  'container:restarted': ServiceEvent & { attempt: number };
  'service:failed': ServiceEvent & { restarts: number; reason: string };
  'driver:healthy': Omit<SessionEventBase, 'sessionId'> & { sessionId?: string };
  'driver:unhealthy': Omit<SessionEventBase, 'sessionId'> & { sessionId?: string; error?: string };
  'pool:allocated': { at: Date; allocationId: string; owner: string };
  'pool:released': { at: Date; allocationId: string; owner: string; reason: string };
}

export type SessionEventName = keyof SessionEventMap;

export class SessionEvents extends TypedEvents<SessionEventMap> {
  constructor(options: TypedEventsOptions<SessionEventName> = {}) {
    super(options);
  }
}
