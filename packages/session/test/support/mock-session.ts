import type { ContainerConfigInput, ContainerDriver, ContainerInstance } from '@berth/core';
import {
  SERVICE_LABEL,
  type SessionEventMap,
  type SessionEventName,
  type SessionEvents,
} from '../../src/index.js';

export const SESSION = 'session-1';

/** A container of the session running `service`, started. */
export async function startService(
  driver: ContainerDriver,
  service: string,
  extra: Partial<ContainerConfigInput> = {},
): Promise<ContainerInstance> {
  const container = await driver.createContainer({
    sessionId: SESSION,
    image: 'busybox',
    command: ['sh', '-c', 'sleep 600'],
    ...extra,
    labels: { [SERVICE_LABEL]: service, ...extra.labels },
  });
  await driver.startContainer(container.id);
  return container;
}

export interface Recorded<E extends SessionEventName = SessionEventName> {
  event: E;
  payload: SessionEventMap[E];
}

/** Every event of `names` emitted on `events`, in order. */
export function recordEvents(events: SessionEvents, names: SessionEventName[]): Recorded[] {
  const seen: Recorded[] = [];
  for (const event of names) {
    events.on(event, (payload) => seen.push({ event, payload } as Recorded));
  }
  return seen;
}

/** The recorded events as `name service @time`, for readable exact assertions. */
export function timeline(seen: Recorded[]): string[] {
  return seen.map(({ event, payload }) => {
    const who = 'service' in payload ? ` ${payload.service}` : '';
    return `${event}${who} @${payload.at.getTime()}`;
  });
}

export const MONITOR_EVENTS: SessionEventName[] = [
  'container:healthy',
  'container:unhealthy',
  'container:died',
  'driver:healthy',
  'driver:unhealthy',
];

export const RECOVERY_EVENTS: SessionEventName[] = [
  'container:restarting',
  'container:restarted',
  'service:failed',
];
