import { ConflictError, ContainerNotFoundError } from '@berth/core';
import { currentTask, type ManagerApi } from '../cluster/manager.js';
import type { NodeEngine, NodeEngines } from '../cluster/node-engines.js';
import { ENDED, type Service, type Task } from '../cluster/swarm-types.js';
import { containerOf, nodeLost, type TaskView } from './instance.js';

type Signal = AbortSignal | undefined;

/** Reads what a container is from the manager and, while it has a container, its node. */
export class Views {
  readonly manager: ManagerApi;
  readonly engines: NodeEngines;
  /** Spread choices of this driver's starts under way (see cluster/spread.ts). */
  readonly pendingSpread = new Map<string, string[]>();

  constructor(manager: ManagerApi, engines: NodeEngines) {
    this.manager = manager;
    this.engines = engines;
  }

  async view(id: string, signal: Signal): Promise<TaskView | null> {
    const service = await this.manager.service(id, signal);
    if (!service) return null;
    const [tasks, nodes] = await Promise.all([
      this.manager.tasks([service.ID], signal),
      this.manager.nodes(),
    ]);
    return this.#complete(service, currentTask(tasks, service.ID), nodes, signal);
  }

  async viewOrThrow(id: string, signal: Signal): Promise<TaskView> {
    const view = await this.view(id, signal);
    if (!view) throw new ContainerNotFoundError(id);
    return view;
  }

  async views(labels: string[], signal: Signal): Promise<TaskView[]> {
    const services = await this.manager.services(labels, signal);
    const [tasks, nodes] = await Promise.all([
      this.manager.tasks(
        services.map((s) => s.ID),
        signal,
      ),
      this.manager.nodes(),
    ]);
    return Promise.all(
      services.map((service) =>
        this.#complete(service, currentTask(tasks, service.ID), nodes, signal),
      ),
    );
  }

  async #complete(
    service: Service,
    task: Task | undefined,
    nodes: Awaited<ReturnType<ManagerApi['nodes']>>,
    signal: Signal,
  ): Promise<TaskView> {
    const node = task?.NodeID ? nodes.find((n) => n.ID === task.NodeID) : undefined;
    const view: TaskView = { service, task, node };
    const containerId = containerOf(task);
    // Paused, health and exact times are the container's, known only to its node's engine.
    if (task?.NodeID && containerId && !nodeLost(node) && !ENDED.has(task.Status.State)) {
      view.container = await this.engines
        .engine(task.NodeID, signal)
        .then((engine) => engine.containers.getContainer(containerId, { signal }))
        .catch(() => undefined);
    }
    return view;
  }

  /**
   * The node engine and container id of the container's current task, for the calls that go
   * to the node (exec, stats, files, processes, signals, pause, logs). One never started is a
   * ConflictError, or, with `started: false`, null (it has no logs yet).
   */
  async onNode(id: string, signal: Signal, need: { started: true }): Promise<OnNode>;
  async onNode(id: string, signal: Signal, need: { started: false }): Promise<OnNode | null>;
  async onNode(id: string, signal: Signal, need: { started: boolean }): Promise<OnNode | null> {
    const view = await this.viewOrThrow(id, signal);
    const task = view.task;
    const containerId = containerOf(task);
    if (!task?.NodeID || !containerId) {
      if (!need.started) return null;
      const state = task ? `its task is ${task.Status.State}` : 'it was never started';
      throw new ConflictError(
        `Container ${id} has no container on any node yet (${state}): start it with startContainer first`,
      );
    }
    return { engine: await this.engines.engine(task.NodeID, signal), containerId, view };
  }
}

interface OnNode {
  engine: NodeEngine;
  containerId: string;
  view: TaskView;
}
