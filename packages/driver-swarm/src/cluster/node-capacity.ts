import type { ManagerApi } from './manager.js';
import { ENDED } from './swarm-types.js';

/** Cores and MB, as a container's `resources` count them. */
export interface NodeAmounts {
  cpu: number;
  memory: number;
}

/** One node of the swarm and what this driver's containers hold of it. */
export interface SwarmNodeView {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** `ready` when the manager hears from it; `down` once it has stopped answering. */
  state: 'unknown' | 'down' | 'ready' | 'disconnected';
  /** `active` takes new tasks; `pause` and `drain` do not. */
  availability: 'active' | 'pause' | 'drain';
  address?: string;
  labels: Record<string, string>;
  engineLabels: Record<string, string>;
  /** What the node has. */
  capacity: NodeAmounts;
  /** The limits of this driver's containers running or about to run on it. */
  allocated: NodeAmounts;
  /** capacity − allocated, never below 0. */
  available: NodeAmounts;
  /** This driver's containers on it that have not ended. */
  containers: number;
}

const MB = 1024 * 1024;

/**
 * Every node with its capacity and what this driver's live tasks are allotted on it: the view a
 * placer reads to choose a node (see SwarmDriver.pickNode), as a ResourcePool reads its own.
 */
export async function nodeViews(
  manager: ManagerApi,
  signal: AbortSignal | undefined,
): Promise<SwarmNodeView[]> {
  const [nodes, services] = await Promise.all([manager.nodes(true), manager.services([], signal)]);
  const tasks = await manager.tasks(
    services.map((s) => s.ID),
    signal,
  );
  const limitsOf = new Map(
    services.map((s) => [s.ID, s.Spec.TaskTemplate.Resources?.Limits ?? {}]),
  );
  return nodes.map((node) => {
    const live = tasks.filter(
      (t) => t.NodeID === node.ID && t.DesiredState === 'running' && !ENDED.has(t.Status.State),
    );
    const allocated = live.reduce(
      (sum, task) => {
        const limits = limitsOf.get(task.ServiceID) ?? {};
        return {
          cpu: sum.cpu + (limits.NanoCPUs ?? 0) / 1e9,
          memory: sum.memory + (limits.MemoryBytes ?? 0) / MB,
        };
      },
      { cpu: 0, memory: 0 },
    );
    const capacity = {
      cpu: (node.Description.Resources?.NanoCPUs ?? 0) / 1e9,
      memory: Math.floor((node.Description.Resources?.MemoryBytes ?? 0) / MB),
    };
    const view: SwarmNodeView = {
      id: node.ID,
      hostname: node.Description.Hostname,
      role: node.Spec.Role,
      state: node.Status.State,
      availability: node.Spec.Availability,
      labels: { ...node.Spec.Labels },
      engineLabels: { ...node.Description.Engine?.Labels },
      capacity,
      allocated,
      available: {
        cpu: Math.max(0, capacity.cpu - allocated.cpu),
        memory: Math.max(0, capacity.memory - allocated.memory),
      },
      containers: live.length,
    };
    if (node.Status.Addr) view.address = node.Status.Addr;
    return view;
  });
}

/** The ready, active node with the most memory left that fits `request`; undefined if none. */
export function roomiest(nodes: SwarmNodeView[], request: NodeAmounts): SwarmNodeView | undefined {
  return nodes
    .filter((n) => n.state === 'ready' && n.availability === 'active')
    .filter((n) => n.available.cpu >= request.cpu && n.available.memory >= request.memory)
    .sort((a, b) => b.available.memory - a.available.memory || a.containers - b.containers)[0];
}
