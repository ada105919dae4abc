import {
  type ContainerDriver,
  type ContainerInstance,
  ContainerNotFoundError,
  getErrorMessage,
} from '@berth/core';
import type { SessionClock } from '../clock.js';
import type { SessionEventMap } from '../events/session-events.js';
import { SERVICE_LABEL } from '../labels.js';
import { withDeadline } from '../shared/deadline.js';

/**
 * What the monitor last saw of a container. `starting` is a health check not decided yet (it
 * would read as unhealthy, and a container still warming up must not be restarted for it);
 * `inactive` is created, paused or stopped on purpose, which is nobody's alarm.
 */
export type ContainerHealthState = 'healthy' | 'unhealthy' | 'starting' | 'died' | 'inactive';

const RUNNING_STATES: ReadonlySet<ContainerHealthState | undefined> = new Set([
  'healthy',
  'unhealthy',
  'starting',
]);

interface Seen {
  state: ContainerHealthState;
  /** Start time of the run it was seen in: a new run is a new story. */
  startedAt: number | undefined;
}

/** What the monitor remembers between rounds, so it reports transitions only. */
export class HealthMemory {
  driverUp: boolean | undefined;
  readonly containers = new Map<string, Seen>();
}

export type MonitorEventName =
  | 'container:healthy'
  | 'container:unhealthy'
  | 'container:died'
  | 'driver:healthy'
  | 'driver:unhealthy';

export type Emit = <E extends MonitorEventName>(event: E, payload: SessionEventMap[E]) => void;

export interface RoundContext {
  driver: ContainerDriver;
  sessionId: string | undefined;
  timeoutMs: number;
  clock: SessionClock;
  /** Aborted by stop(): the round then unwinds without emitting anything more. */
  signal: AbortSignal;
  memory: HealthMemory;
  emit: Emit;
}

type Observation =
  | { state: 'healthy' | 'unhealthy' | 'starting' | 'inactive' }
  | { state: 'died'; exitCode: number | undefined }
  | { state: 'gone' };

/** One round: the driver's health, then (when it answers) every container's. */
export async function runRound(context: RoundContext): Promise<void> {
  const driver = await checkDriver(context);
  if (context.signal.aborted) return;
  reportDriver(context, driver);
  // A driver that does not answer says nothing about its containers: keep what was last seen,
  // so a container that died meanwhile is still reported once the driver is back.
  if (!driver.up) return;
  const observations = await Promise.all(
    driver.containers.map((container) => observe(context, container)),
  );
  if (context.signal.aborted) return;
  const listed = new Set<string>();
  driver.containers.forEach((container, index) => {
    listed.add(container.id);
    report(context, container, observations[index] as Observation);
  });
  // Removed ones are gone on purpose, not dead: forget them quietly.
  for (const id of context.memory.containers.keys()) {
    if (!listed.has(id)) context.memory.containers.delete(id);
  }
}

type DriverCheck = { up: true; containers: ContainerInstance[] } | { up: false; error: string };

async function checkDriver(context: RoundContext): Promise<DriverCheck> {
  const { driver, clock, timeoutMs, signal, sessionId } = context;
  try {
    const health = await withDeadline(clock, timeoutMs, signal, 'healthCheck', (s) =>
      driver.healthCheck({ signal: s }),
    );
    // `degraded` still serves requests: only `unhealthy` is down.
    if (health.status === 'unhealthy') {
      return { up: false, error: health.error ?? 'the driver reports itself unhealthy' };
    }
  } catch (error) {
    return { up: false, error: `healthCheck failed: ${getErrorMessage(error)}` };
  }
  try {
    const containers = await withDeadline(clock, timeoutMs, signal, 'listContainers', (s) =>
      driver.listContainers(sessionId === undefined ? {} : { sessionId }, { signal: s }),
    );
    return { up: true, containers };
  } catch (error) {
    // Counted with the health check, or a driver that answers one but not the other would
    // flip between healthy and unhealthy every round.
    return { up: false, error: `listContainers failed: ${getErrorMessage(error)}` };
  }
}

function reportDriver(context: RoundContext, check: DriverCheck): void {
  const { memory, driver, sessionId, clock } = context;
  if (memory.driverUp === check.up) return;
  memory.driverUp = check.up;
  const base = { driver: driver.name, at: new Date(clock.now()), sessionId };
  if (check.up) context.emit('driver:healthy', base);
  else context.emit('driver:unhealthy', { ...base, error: check.error });
}

async function observe(context: RoundContext, container: ContainerInstance): Promise<Observation> {
  switch (container.status) {
    case 'running': {
      if (container.health === 'starting') return { state: 'starting' };
      const { driver, clock, timeoutMs, signal } = context;
      try {
        const healthy = await withDeadline(clock, timeoutMs, signal, 'isContainerHealthy', (s) =>
          driver.isContainerHealthy(container.id, { signal: s }),
        );
        return { state: healthy ? 'healthy' : 'unhealthy' };
      } catch (error) {
        if (error instanceof ContainerNotFoundError) return { state: 'gone' };
        // A check that fails or hangs while the driver answers is the container's problem.
        return { state: 'unhealthy' };
      }
    }
    case 'exited':
    case 'dead':
      return { state: 'died', exitCode: container.exitCode };
    case 'removing':
      return { state: 'gone' };
    default:
      return { state: 'inactive' };
  }
}

function report(context: RoundContext, container: ContainerInstance, seen: Observation): void {
  const { memory } = context;
  if (seen.state === 'gone') {
    memory.containers.delete(container.id);
    return;
  }
  const startedAt = container.startedAt?.getTime();
  const previous = memory.containers.get(container.id);
  memory.containers.set(container.id, { state: seen.state, startedAt });
  const newRun = previous !== undefined && previous.startedAt !== startedAt;
  // A restarted container that is still unhealthy is news: whoever restarted it needs to know.
  const before = newRun && previous.state === 'unhealthy' ? undefined : previous?.state;
  const payload = () => ({
    sessionId: container.sessionId,
    containerId: container.id,
    service: container.labels[SERVICE_LABEL] ?? container.name,
    driver: context.driver.name,
    at: new Date(context.clock.now()),
  });
  if (seen.state === 'healthy' || seen.state === 'unhealthy') {
    if (before !== seen.state) context.emit(`container:${seen.state}`, payload());
  } else if (seen.state === 'died') {
    // It ran since the last look: seen running, or started again (and ended) in between. One
    // already ended when first seen is not reported: a crash cannot be told from a job done.
    if (RUNNING_STATES.has(before) || newRun) {
      context.emit('container:died', { ...payload(), exitCode: seen.exitCode });
    }
  }
}
