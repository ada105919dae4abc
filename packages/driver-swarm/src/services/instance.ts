import type { ContainerInstance, ContainerStatus, HealthStatus } from '@berth/core';
import { BERTH_LABELS, readUnenforced } from '@berth/core/kit';
import {
  ENDED,
  type Service,
  STARTING,
  type SwarmNode,
  type Task,
} from '../cluster/swarm-types.js';
import { DRIVER_NAME } from '../identity.js';

const MB = 1024 * 1024;

/** Everything a container's view is made of: its service, current task, node and container. */
export interface TaskView {
  service: Service;
  task?: Task | undefined;
  node?: SwarmNode | undefined;
  /** The task's container as its node's engine reports it; absent when that engine is away. */
  container?: ContainerInstance | null | undefined;
}

/** A node the manager has lost: what ran there is dead to the caller until it comes back. */
export function nodeLost(node: SwarmNode | undefined): boolean {
  return node !== undefined && node.Status.State !== 'ready';
}

function time(value: string | undefined): Date | undefined {
  if (!value || value.startsWith('0001')) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The id of the task's container; undefined before it has one. A task the node refused before
 * making a container (no such image) reports an empty id, and an exit code 0 that means nothing.
 */
export function containerOf(task: Task | undefined): string | undefined {
  const id = task?.Status.ContainerStatus?.ContainerID;
  return id ? id : undefined;
}

/** The exit code a task recorded; undefined when its container never ran. */
export function taskExitCode(task: Task): number | undefined {
  return containerOf(task) === undefined ? undefined : task.Status.ContainerStatus?.ExitCode;
}

function statusOf(view: TaskView): ContainerStatus {
  const { task } = view;
  if (!task) return 'created';
  const state = task.Status.State;
  if (STARTING.has(state)) return 'created';
  if (state === 'running') {
    if (nodeLost(view.node)) return 'dead';
    // The node knows first: its report of a container that ended reaches the manager later.
    const seen = view.container?.status;
    if (seen === 'paused' || seen === 'exited' || seen === 'dead') return seen;
    return 'running';
  }
  if (state === 'remove') return 'removing';
  if (state === 'complete' || state === 'shutdown') return 'exited';
  if (state === 'failed') return containerOf(task) ? 'exited' : 'dead';
  return 'dead';
}

/**
 * The container's health while it runs, from its node; a task the swarm ended because its
 * health check failed (it does: an unhealthy task is killed) stays unhealthy.
 */
function healthOf(view: TaskView): HealthStatus {
  const { task, container } = view;
  if (task && ENDED.has(task.Status.State) && /unhealthy container/i.test(task.Status.Err ?? '')) {
    return 'unhealthy';
  }
  return container?.health ?? 'none';
}

/** A service and what runs it → the contract's view. */
export function toInstance(view: TaskView): ContainerInstance {
  const { service, task, node, container } = view;
  const spec = service.Spec;
  const labels = { ...spec.Labels };
  const limits = spec.TaskTemplate.Resources?.Limits ?? {};
  const status = statusOf(view);
  const instance: ContainerInstance = {
    id: service.ID,
    name: spec.Name ?? service.ID,
    sessionId: labels[BERTH_LABELS.session] ?? '',
    image: String(spec.TaskTemplate.ContainerSpec.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
    status,
    state:
      status === 'running' || status === 'paused'
        ? 'running'
        : status === 'dead'
          ? 'error'
          : 'terminated',
    // Swarm cannot publish on loopback only, so nothing is published (see capabilities).
    endpoint: null,
    ports: [],
    createdAt: new Date(service.CreatedAt),
    labels,
    resources: {
      cpu: (limits.NanoCPUs ?? 0) / 1e9,
      memory: (limits.MemoryBytes ?? 0) / MB,
      pids: limits.Pids ?? 0,
    },
    driver: DRIVER_NAME,
    health: healthOf(view),
  };
  const tenant = labels[BERTH_LABELS.tenant];
  if (tenant !== undefined) instance.tenantId = tenant;
  if (task) {
    const stamp = time(task.Status.Timestamp);
    const ran = task.Status.State === 'running' || ENDED.has(task.Status.State);
    const startedAt = container?.startedAt ?? (task.Status.State === 'running' ? stamp : undefined);
    if (startedAt && ran) instance.startedAt = startedAt;
    if (status === 'exited' || status === 'dead') {
      const finishedAt = container?.finishedAt ?? stamp;
      if (finishedAt) instance.finishedAt = finishedAt;
      const code = container?.exitCode ?? taskExitCode(task);
      if (code !== undefined) instance.exitCode = code;
    }
  }
  if (node) {
    instance.node = {
      id: node.ID,
      hostname: node.Description.Hostname,
      ...(node.Status.Addr ? { address: node.Status.Addr } : {}),
    };
  }
  const unenforced = readUnenforced(labels);
  if (unenforced) instance.unenforced = unenforced;
  return instance;
}
