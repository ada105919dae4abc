import { ContainerNotFoundError, isObjectId } from '@berth/core';
import { BERTH_LABELS } from '@berth/core/kit';
import { EngineSession, labelFilter, ownedBy } from '@berth/driver-docker/engine';
import { DRIVER_NAME } from '../identity.js';
import type { EngineEndpoint } from '../swarm-options.js';
import type { Service, ServiceSpec, SwarmNode, Task } from './swarm-types.js';

type Signal = AbortSignal | undefined;

/** Whether a swarm object (service, network, volume) is one this driver made. */
export const ownedBySwarm = (labels: Readonly<Record<string, string>> | null | undefined) =>
  ownedBy(labels, DRIVER_NAME);

/** The label filters (`key=value`) that narrow a listing to one session and/or tenant. */
export function ownerLabels(owner: {
  sessionId?: string | undefined;
  tenantId?: string | undefined;
}): string[] {
  const labels: string[] = [];
  if (owner.sessionId !== undefined) labels.push(`${BERTH_LABELS.session}=${owner.sessionId}`);
  if (owner.tenantId !== undefined) labels.push(`${BERTH_LABELS.tenant}=${owner.tenantId}`);
  return labels;
}

/** Engine list filter for everything this driver made, optionally narrowed. */
export const swarmFilter = (extra: string[] = []) => labelFilter(extra, DRIVER_NAME);

/**
 * The manager's swarm API: services (a container each), their tasks, and the nodes. Only
 * services carrying this driver's labels are ever returned or changed.
 */
export class ManagerApi {
  readonly session: EngineSession;
  #nodes: { at: number; nodes: Promise<SwarmNode[]> } | undefined;

  constructor(endpoint: EngineEndpoint) {
    this.session = new EngineSession(endpoint, DRIVER_NAME);
  }

  /** A service of ours, by id or name; null when there is none (or it is not ours). */
  async service(id: string, signal: Signal): Promise<Service | null> {
    if (!isObjectId(id)) return null;
    try {
      const service = await this.session.call<Service>(
        { method: 'GET', path: `/services/${encodeURIComponent(id)}`, signal },
        { kind: 'container', op: 'other', id },
      );
      // A prefix or a name can mean another service than the caller's: only ours, by any of them.
      return ownedBySwarm(service.Spec.Labels) ? service : null;
    } catch (error) {
      if (error instanceof ContainerNotFoundError) return null;
      throw error;
    }
  }

  async serviceOrThrow(id: string, signal: Signal): Promise<Service> {
    const service = await this.service(id, signal);
    if (!service) throw new ContainerNotFoundError(id);
    return service;
  }

  services(labels: string[], signal: Signal): Promise<Service[]> {
    return this.session.call<Service[]>(
      { method: 'GET', path: '/services', query: { filters: swarmFilter(labels) }, signal },
      { kind: 'engine' },
    );
  }

  createService(spec: ServiceSpec, signal: Signal): Promise<{ ID: string }> {
    return this.session.call<{ ID: string }>(
      { method: 'POST', path: '/services/create', body: spec, signal },
      { kind: 'container', op: 'create', name: spec.Name },
    );
  }

  /**
   * Writes `change(spec)` over the service, at the version read, and retries on a newer one:
   * two callers changing a service at once each get their change made, neither is lost.
   */
  async updateService(
    id: string,
    change: (spec: ServiceSpec) => ServiceSpec,
    signal: Signal,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const service = await this.serviceOrThrow(id, signal);
      try {
        await this.session.call(
          {
            method: 'POST',
            path: `/services/${service.ID}/update`,
            query: { version: service.Version.Index },
            body: change(structuredClone(service.Spec)),
            signal,
          },
          { kind: 'container', op: 'other', id },
        );
        return;
      } catch (error) {
        const outOfSequence = /update out of sequence/i.test(String((error as Error).message));
        if (!outOfSequence || attempt >= 5) throw error;
      }
    }
  }

  async removeService(id: string, signal: Signal): Promise<void> {
    await this.session.call(
      { method: 'DELETE', path: `/services/${encodeURIComponent(id)}`, signal },
      { kind: 'container', op: 'remove', id },
    );
  }

  /** Every task of the services (their history included), newest first. */
  async tasks(serviceIds: string[], signal: Signal): Promise<Task[]> {
    if (serviceIds.length === 0) return [];
    const tasks = await this.session.call<Task[]>(
      { method: 'GET', path: '/tasks', query: { filters: { service: serviceIds } }, signal },
      { kind: 'engine' },
    );
    // By creation: an older task's status keeps changing (and its version rising) after a
    // newer one replaced it.
    return tasks.sort(
      (a, b) =>
        Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt) ||
        b.CreatedAt.localeCompare(a.CreatedAt) ||
        b.Version.Index - a.Version.Index,
    );
  }

  /**
   * The nodes, read at most every 500 ms: a container's view needs its node's state (a node
   * that went away makes its tasks dead), and a list of many containers asks once.
   */
  nodes(fresh = false): Promise<SwarmNode[]> {
    const now = Date.now();
    if (fresh || !this.#nodes || now - this.#nodes.at > 500) {
      const nodes = this.session.call<SwarmNode[]>(
        // No caller's signal: the answer is shared, and one caller giving up must not fail others.
        { method: 'GET', path: '/nodes' },
        { kind: 'engine' },
      );
      this.#nodes = { at: now, nodes };
      nodes.catch(() => {
        if (this.#nodes?.nodes === nodes) this.#nodes = undefined;
      });
    }
    return this.#nodes.nodes;
  }

  info<T>(signal: Signal): Promise<T> {
    return this.session.call<T>({ method: 'GET', path: '/info', signal }, { kind: 'engine' });
  }
}

/** The task that stands for the container now: the newest one. */
export function currentTask(tasks: readonly Task[], serviceId: string): Task | undefined {
  return tasks.find((task) => task.ServiceID === serviceId);
}
