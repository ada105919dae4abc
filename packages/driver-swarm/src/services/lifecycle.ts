import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConflictError,
  ContainerStartError,
  ContainerStopError,
  type PlacementConstraint,
  type WaitResult,
} from '@berth/core';
import type { ParsedRemoveOptions, ParsedStopOptions, PrimitiveContext } from '@berth/core/kit';
import { BERTH_LABELS } from '@berth/core/kit';
import { currentTask } from '../cluster/manager.js';
import { spreadConstraints } from '../cluster/spread.js';
import { ENDED, type Service, STARTING, type Task } from '../cluster/swarm-types.js';
import { removeOwnNetwork } from '../resources/networks.js';
import { containerOf, nodeLost, taskExitCode } from './instance.js';
import { storedPlacement, swarmConstraint } from './service-spec.js';
import type { Views } from './views.js';

type Signal = AbortSignal | undefined;

/**
 * Polls `look` until it returns a value: every 50 ms for the first 3 s (a task starts, and a
 * node removes a container, within them), then every 250 ms, until `deadlineMs` passes (then
 * undefined).
 */
export async function poll<T>(
  look: () => Promise<T | undefined>,
  deadlineMs: number,
  signal: Signal,
): Promise<T | undefined> {
  const start = Date.now();
  for (;;) {
    const seen = await look();
    if (seen !== undefined) return seen;
    if (Date.now() - start >= deadlineMs) return undefined;
    await sleep(Date.now() - start < 3000 ? 50 : 250, undefined, { signal });
  }
}

/** The newest task of a service known to exist, by its full id: one request. */
async function current(views: Views, serviceId: string, signal: Signal): Promise<Task | undefined> {
  return currentTask(await views.manager.tasks([serviceId], signal), serviceId);
}

/**
 * Where this start's task may go: the stored constraints plus the spread's choice, which is
 * counted as pending at once, in the same turn it is made, so that starts under way in this
 * process each see the others' choices (until the start returns).
 */
async function startPlacement(
  views: Views,
  service: Service,
  signal: Signal,
): Promise<{ constraints: PlacementConstraint[] } | undefined> {
  const stored = storedPlacement(service.Spec.Labels);
  if (!stored || stored.spread.length === 0) return undefined;
  const [nodes, services] = await Promise.all([
    views.manager.nodes(true),
    views.manager.services([], signal),
  ]);
  const tasks = await views.manager.tasks(
    services.map((s) => s.ID),
    signal,
  );
  const chosen = spreadConstraints(
    stored.spread,
    stored.constraints,
    nodes,
    tasks,
    views.pendingSpread,
  );
  views.pendingSpread.set(service.ID, chosen.map(swarmConstraint));
  return { constraints: [...stored.constraints, ...chosen] };
}

/**
 * Asks for a task (one replica, and always a new task) and returns once it runs or has already
 * run. A task the swarm cannot place or start is a ContainerStartError with the swarm's reason,
 * and the service is scaled back to none, as it was.
 */
export async function startService(
  views: Views,
  id: string,
  timeoutMs: number,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  const service = await views.manager.serviceOrThrow(id, signal);
  const before = await current(views, service.ID, signal);
  const live = before && before.DesiredState === 'running' && !ENDED.has(before.Status.State);
  if (live && before.Status.State === 'running') return;
  // A start already under way (another caller's): wait for that task rather than a new one.
  const awaited = live ? before.ID : undefined;
  const placement = live ? undefined : await startPlacement(views, service, signal);
  try {
    if (!live) {
      await views.manager.updateService(
        service.ID,
        (spec) => {
          spec.Mode = { Replicated: { Replicas: 1 } };
          // Forced, so the slot gets a new task even while the last one that ended is still in
          // it (being removed after a stop, or kept as completed): under restart condition none
          // the swarm counts such a slot as done, and scaling alone would start nothing.
          spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
          if (placement) {
            spec.TaskTemplate.Placement = {
              ...spec.TaskTemplate.Placement,
              Constraints: placement.constraints.map(swarmConstraint),
            };
          }
          return spec;
        },
        signal,
      );
    }
    await taskRunning(views, id, service.ID, before?.ID, awaited, timeoutMs, signal);
  } finally {
    // Its task is listed by now (or it failed): counted as a task from here on.
    if (placement) views.pendingSpread.delete(service.ID);
  }
}

/** Waits for the new task (or `awaited`) to run or to have run; a ContainerStartError if not. */
async function taskRunning(
  views: Views,
  id: string,
  serviceId: string,
  previous: string | undefined,
  awaited: string | undefined,
  timeoutMs: number,
  signal: Signal,
): Promise<void> {
  let last: Task | undefined;
  const started = await poll(
    async () => {
      const task = await current(views, serviceId, signal);
      last = task;
      if (!task || (task.ID === previous && task.ID !== awaited)) return undefined;
      return task.Status.State === 'running' || ENDED.has(task.Status.State) ? task : undefined;
    },
    timeoutMs,
    signal,
  );
  // Ended without a container: the node refused it (no such image, a mount it cannot make).
  const failed = started && ENDED.has(started.Status.State) && containerOf(started) === undefined;
  if (started && !failed) return;
  const why = last
    ? `its task is ${last.Status.State}: ${last.Status.Err || last.Status.Message || 'no reason given'}`
    : 'no task was made';
  await views.manager
    .updateService(
      serviceId,
      (spec) => ({ ...spec, Mode: { Replicated: { Replicas: 0 } } }),
      undefined,
    )
    .catch(() => undefined);
  throw new ContainerStartError(id, started ? why : `not running after ${timeoutMs} ms (${why})`, {
    retryable: !started,
  });
}

/**
 * Stops the task's container on its node with the caller's timeout. Without restarts that is
 * all: the task ends and stays, with its container, so logs and files outlive the stop as on
 * one engine. A service that restarts its task is also scaled to none (else the swarm would
 * start it again), as is one whose node is away: that node stops it when it returns. Returns
 * once the task has ended, or at once when its node is away.
 */
export async function stopService(
  views: Views,
  id: string,
  options: ParsedStopOptions,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  const view = await views.viewOrThrow(id, signal);
  const task = view.task;
  const restarts = view.service.Spec.TaskTemplate.RestartPolicy?.Condition !== 'none';
  const containerId = containerOf(task);
  const engine =
    task?.NodeID && containerId && !nodeLost(view.node)
      ? await views.engines.engine(task.NodeID, signal).catch(() => undefined)
      : undefined;
  if (restarts || !engine || !task || STARTING.has(task.Status.State)) {
    await views.manager.updateService(
      id,
      (spec) => ({ ...spec, Mode: { Replicated: { Replicas: 0 } } }),
      signal,
    );
  }
  if (!task || ENDED.has(task.Status.State) || nodeLost(view.node)) return;
  if (engine && containerId) await engine.containers.stopContainer(containerId, options, ctx);
  const waitMs = ((options.force ? 0 : (options.timeout ?? 10)) + 20) * 1000;
  const ended = await poll(
    async () => {
      const now = await current(views, view.service.ID, signal);
      return !now || now.ID !== task.ID || ENDED.has(now.Status.State) ? true : undefined;
    },
    waitMs,
    signal,
  );
  if (!ended) throw new ContainerStopError(id, `its task did not end within ${waitMs} ms`);
}

/** Removes the service; a running one only with `force`. The nodes then remove its container. */
export async function removeService(
  views: Views,
  id: string,
  options: ParsedRemoveOptions,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  const view = await views.viewOrThrow(id, signal);
  const task = view.task;
  const live = task && !ENDED.has(task.Status.State) && task.DesiredState === 'running';
  if (live && !options.force) {
    throw new ConflictError(
      `Container ${id} is running: stop it first (stopContainer), or remove it with force: true`,
    );
  }
  const containerId = containerOf(task);
  if (live && task?.NodeID && containerId && !nodeLost(view.node)) {
    // Killed first: removing the service would have its node give it the 10 s grace period.
    await views.engines
      .engine(task.NodeID, signal)
      .then((engine) => engine.containers.stopContainer(containerId, { force: true }, ctx))
      .catch(() => undefined);
  }
  await views.manager.removeService(view.service.ID, signal);
  if (task?.NodeID && containerId && !nodeLost(view.node)) {
    await containerGone(views, task.NodeID, containerId, signal);
  }
  const token = view.service.Spec.Labels?.[BERTH_LABELS.create];
  if (token !== undefined) await removeOwnNetwork(views.manager, token);
}

/** Waits (10 s at most) until the node has removed the task's container, as it will. */
async function containerGone(
  views: Views,
  nodeId: string,
  containerId: string,
  signal: Signal,
): Promise<void> {
  const engine = await views.engines.engine(nodeId, signal).catch(() => undefined);
  if (!engine) return;
  await poll(
    async () =>
      (await engine.containers.getContainer(containerId, { signal }).catch(() => null)) === null
        ? true
        : undefined,
    10_000,
    signal,
  );
}

/**
 * Blocks until the container's program ends. While its task runs on a node whose engine
 * answers, that engine's own wait is used (no polling); then the task's end is awaited, so a
 * getContainer right after sees it exited.
 */
export async function waitService(
  views: Views,
  id: string,
  ctx: PrimitiveContext,
): Promise<WaitResult> {
  const { signal } = ctx;
  let oomKilled = false;
  for (;;) {
    const view = await views.viewOrThrow(id, signal);
    const task = view.task;
    // Ended, or lost with its node: -1 when no exit code was ever recorded.
    if (task && (ENDED.has(task.Status.State) || nodeLost(view.node))) {
      return { exitCode: taskExitCode(task) ?? -1, oomKilled };
    }
    const containerId = containerOf(task);
    if (task?.NodeID && containerId && task.Status.State === 'running') {
      const engine = await views.engines.engine(task.NodeID, signal).catch(() => undefined);
      const ended = await engine?.containers.waitContainer(containerId, ctx).catch(() => undefined);
      if (ended) {
        oomKilled = ended.oomKilled;
        // The node tells the manager a moment later.
        const done = await poll(
          async () => {
            const now = await current(views, view.service.ID, signal);
            return now && (now.ID !== task.ID || ENDED.has(now.Status.State)) ? now : undefined;
          },
          5000,
          signal,
        );
        return { exitCode: (done && taskExitCode(done)) ?? ended.exitCode, oomKilled };
      }
    }
    await sleep(250, undefined, { signal });
  }
}
