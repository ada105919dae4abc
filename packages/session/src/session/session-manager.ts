import { randomBytes } from 'node:crypto';
import { ConfigurationError, ConflictError, type ContainerDriver } from '@berth/core';
import { realClock, type SessionClock } from '../clock.js';
import type { SessionEvents } from '../events/session-events.js';
import { EXPIRES_LABEL, SERVICE_LABEL } from '../labels.js';
import { amountsOf, type ResourceRequest } from '../pool/amounts.js';
import { SessionStartError } from './errors.js';
import { waitUntilReady } from './readiness.js';
import { type HeldResources, removeParts, Session, type SessionParts } from './session.js';
import { planSession, type SessionPlan, type SessionSpec } from './session-spec.js';

/** The part of a resource pool a SessionManager uses (ResourcePool has it). */
export interface SessionPool {
  reserve(
    owner: string,
    amounts: ResourceRequest,
    options?: { signal?: AbortSignal },
  ): Promise<{
    allocate(containerId: string, amounts: ResourceRequest): { release(): unknown };
    release(): unknown;
  }>;
}

export interface SessionManagerOptions {
  /** Where sessions' resources come from: a session that does not fit is refused up front. */
  pool?: SessionPool;
  events?: SessionEvents;
  clock?: SessionClock;
  /** How often readiness is polled while a service starts (default 200 ms). */
  readinessPollMs?: number;
}

function sum(all: ResourceRequest[]): ResourceRequest {
  const total = { cpu: 0, memoryMb: 0, diskMb: 0, pids: 0 };
  for (const a of all) {
    total.cpu += a.cpu ?? 0;
    total.memoryMb += a.memoryMb ?? 0;
    total.diskMb += a.diskMb ?? 0;
    total.pids += a.pids ?? 0;
  }
  return total;
}

/**
 * Sessions on any driver: declared services with their dependencies, volumes and networks,
 * started in dependency order and rolled back whole when any step fails.
 */
export class SessionManager {
  readonly #driver: ContainerDriver;
  readonly #options: SessionManagerOptions;
  readonly #clock: SessionClock;

  constructor(driver: ContainerDriver, options: SessionManagerOptions = {}) {
    if (options.readinessPollMs !== undefined && !(options.readinessPollMs > 0)) {
      throw new ConfigurationError('readinessPollMs must be a positive number of milliseconds');
    }
    this.#driver = driver;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /**
   * Makes the session's networks and volumes, then its containers, and starts them in
   * dependency order (independent ones together), each after what it depends on is ready.
   * On any failure everything made is removed again, in reverse, and a SessionStartError says
   * why and what was rolled back.
   */
  async start(spec: SessionSpec, options: { signal?: AbortSignal } = {}): Promise<Session> {
    const plan = planSession(
      spec,
      () => `session-${randomBytes(6).toString('hex')}`,
      this.#clock.now(),
    );
    const driver = this.#driver;
    // Its id names everything it makes, and a rollback removes by it: it must be its own.
    if ((await driver.listContainers({ sessionId: plan.id }, options)).length > 0) {
      throw new ConflictError(
        `Session ${JSON.stringify(plan.id)} already has containers on driver '${driver.name}': attach to it, end it, or use another id`,
      );
    }
    const events = this.#options.events;
    const base = () => ({
      at: new Date(this.#clock.now()),
      driver: driver.name,
      sessionId: plan.id,
    });
    const parts: SessionParts = { containers: [], networks: [], volumes: [] };
    const reservation = await this.#options.pool?.reserve(
      plan.id,
      sum(plan.services.map((s) => amountsOf(s.config))),
      options,
    );
    // What the session holds: the unallocated rest, and each container's share.
    const allocations: { release(): unknown }[] = [];
    const held: HeldResources | undefined = reservation && {
      release: () => {
        reservation.release();
        for (const allocation of allocations) allocation.release();
      },
    };
    const abort = new AbortController();
    const outer = options.signal;
    const onOuterAbort = () => abort.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const signal = abort.signal;
      for (const network of plan.networks) {
        const made = await driver.createNetwork(
          {
            name: network.name,
            sessionId: plan.id,
            ...this.#tenant(plan),
            internal: network.internal,
            labels: network.labels,
          },
          { signal },
        );
        parts.networks.push({ id: made.id, name: made.name });
      }
      for (const volume of plan.volumes) {
        const made = await driver.createVolume(
          { name: volume.name, sessionId: plan.id, ...this.#tenant(plan), labels: volume.labels },
          { signal },
        );
        parts.volumes.push({ id: made.id, name: made.name });
      }
      for (const name of plan.order) {
        const service = plan.services.find(
          (s) => s.name === name,
        ) as SessionPlan['services'][number];
        const made = await driver.createContainer(service.config, { signal });
        parts.containers.push([name, made.id]);
        const allocation = reservation?.allocate(made.id, amountsOf(service.config));
        if (allocation) allocations.push(allocation);
        events?.emit('container:created', { ...base(), service: name, containerId: made.id });
      }
      await this.#startInOrder(plan, parts, signal);
    } catch (cause) {
      abort.abort(cause);
      const { removed, left } = await removeParts(driver, parts);
      // A create whose reply was lost made a container the session never heard of: its label
      // still finds it.
      const orphans = await driver.cleanup({ sessionId: plan.id }).catch((error: unknown) => {
        left.push(
          `what carries the session's label (${error instanceof Error ? error.message : String(error)})`,
        );
        return undefined;
      });
      for (const [kind, count] of Object.entries(orphans ?? {})) {
        if (count > 0) removed.push(`${count} ${kind} found by the session's label`);
      }
      held?.release();
      events?.emit('session:rolled-back', { ...base(), cause, removed });
      throw new SessionStartError(plan.id, removed, left, cause);
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
    }
    events?.emit('session:started', { ...base(), services: plan.order });
    return new Session(plan.id, parts, {
      driver,
      clock: this.#clock,
      events,
      held,
      expiresAt: plan.ttlMs === undefined ? undefined : this.#clock.now() + plan.ttlMs,
      idleMs: plan.idleMs,
    });
  }

  #tenant(plan: SessionPlan): { tenantId?: string } {
    return plan.tenantId === undefined ? {} : { tenantId: plan.tenantId };
  }

  /** Each service starts once all it depends on are ready; the first failure stops the rest. */
  async #startInOrder(plan: SessionPlan, parts: SessionParts, signal: AbortSignal): Promise<void> {
    const events = this.#options.events;
    const ids = new Map(parts.containers);
    const ready = new Map<string, Promise<void>>();
    for (const name of plan.order) {
      const service = plan.services.find((s) => s.name === name) as SessionPlan['services'][number];
      const id = ids.get(name) as string;
      ready.set(
        name,
        (async () => {
          await Promise.all(service.dependsOn.map((dep) => ready.get(dep)));
          signal.throwIfAborted();
          await this.#driver.startContainer(id, { signal });
          const at = {
            at: new Date(this.#clock.now()),
            driver: this.#driver.name,
            sessionId: plan.id,
          };
          events?.emit('container:started', { ...at, service: name, containerId: id });
          await waitUntilReady(this.#driver, name, id, service.config.healthcheck !== undefined, {
            clock: this.#clock,
            pollMs: this.#options.readinessPollMs ?? 200,
            timeoutMs: service.readyTimeoutMs,
            signal,
          });
          events?.emit('container:ready', {
            ...at,
            at: new Date(this.#clock.now()),
            service: name,
            containerId: id,
          });
        })(),
      );
    }
    const all = [...ready.values()];
    try {
      await Promise.all(all);
    } finally {
      // Nothing of the start may still be running while a rollback removes what it made.
      await Promise.allSettled(all);
    }
  }

  /**
   * The session `sessionId`, found by its labels (by this or any earlier process): its
   * containers, networks and volumes, to monitor or end. Its TTL, if it had one, still holds.
   */
  async attach(sessionId: string, options: { signal?: AbortSignal } = {}): Promise<Session> {
    const driver = this.#driver;
    const containers = await driver.listContainers({ sessionId }, options);
    const networks = (await driver.listNetworks(options)).filter((n) => n.sessionId === sessionId);
    const volumes = (await driver.listVolumes(options)).filter((v) => v.sessionId === sessionId);
    if (containers.length === 0 && networks.length === 0 && volumes.length === 0) {
      throw new ConfigurationError(
        `No session ${JSON.stringify(sessionId)} on driver '${driver.name}': nothing carries its label (ended, or never started here)`,
      );
    }
    containers.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const expires = containers
      .map((c) => Number(c.labels[EXPIRES_LABEL]))
      .find((n) => Number.isFinite(n));
    return new Session(
      sessionId,
      {
        containers: containers.map((c) => [c.labels[SERVICE_LABEL] ?? c.name, c.id]),
        networks: networks.map((n) => ({ id: n.id, name: n.name })),
        volumes: volumes.map((v) => ({ id: v.id, name: v.name })),
      },
      {
        driver,
        clock: this.#clock,
        events: this.#options.events,
        held: undefined as HeldResources | undefined,
        expiresAt: expires,
        idleMs: undefined,
      },
    );
  }
}
