import type { PlacementConstraint } from '@berth/core';
import type { SwarmNode, Task } from './swarm-types.js';
import { ENDED } from './swarm-types.js';

/*
 * Swarm's own spread preference spreads the tasks of one service; every container here is a
 * service of one task, so it would spread nothing. Spreading containers is the driver's: at
 * each start it counts the live tasks of its containers per value of each spread attribute and
 * constrains the new task to the value with the fewest. `node.id` and `node.hostname` are left
 * to the scheduler, which already places a task on the node with the fewest: a constraint would
 * pin it there and keep the swarm from moving it when that node goes away.
 */

/** A node attribute as a constraint names it; undefined when the node has none. */
export function attribute(node: SwarmNode, key: string): string | undefined {
  switch (key) {
    case 'node.id':
      return node.ID;
    case 'node.hostname':
      return node.Description.Hostname;
    case 'node.role':
      return node.Spec.Role;
    case 'node.platform.os':
      return node.Description.Platform?.OS;
    case 'node.platform.arch':
      return node.Description.Platform?.Architecture;
  }
  if (key.startsWith('node.labels.')) return node.Spec.Labels?.[key.slice('node.labels.'.length)];
  if (key.startsWith('engine.labels.')) {
    return node.Description.Engine?.Labels?.[key.slice('engine.labels.'.length)];
  }
  return undefined;
}

function satisfies(node: SwarmNode, constraint: PlacementConstraint): boolean {
  const value = attribute(node, constraint.key);
  return constraint.operator === '==' ? value === constraint.value : value !== constraint.value;
}

/**
 * The constraints that place a new task where the spread attributes have the fewest live tasks
 * of this driver, among the ready, active nodes the given constraints allow.
 */
export function spreadConstraints(
  spread: readonly string[],
  constraints: readonly PlacementConstraint[],
  nodes: readonly SwarmNode[],
  tasks: readonly Task[],
  /**
   * Starts under way in this process: service id → its choices (`key==value`). Counted by
   * their choice, not by their task, which may or may not be listed yet.
   */
  pending: ReadonlyMap<string, readonly string[]> = new Map(),
): PlacementConstraint[] {
  let candidates = nodes.filter(
    (n) =>
      n.Status.State === 'ready' &&
      n.Spec.Availability === 'active' &&
      constraints.every((c) => satisfies(n, c)),
  );
  const live = tasks.filter(
    (t) => t.DesiredState === 'running' && !ENDED.has(t.Status.State) && !pending.has(t.ServiceID),
  );
  const chosenElsewhere = new Map<string, number>();
  for (const keys of pending.values()) {
    for (const key of keys) chosenElsewhere.set(key, (chosenElsewhere.get(key) ?? 0) + 1);
  }
  const chosen: PlacementConstraint[] = [];
  for (const key of spread) {
    if (key === 'node.id' || key === 'node.hostname') continue;
    const counts = new Map<string, number>();
    for (const node of candidates) {
      const value = attribute(node, key);
      if (value === undefined) continue;
      const here = live.filter((t) => t.NodeID === node.ID).length;
      counts.set(value, (counts.get(value) ?? 0) + here);
    }
    // No candidate has the attribute: nothing to spread over.
    if (counts.size === 0) continue;
    for (const [value, count] of counts) {
      counts.set(value, count + (chosenElsewhere.get(`${key}==${value}`) ?? 0));
    }
    const [value] = [...counts.entries()].sort(
      (a, b) => a[1] - b[1] || a[0].localeCompare(b[0]),
    )[0] as [string, number];
    chosen.push({ key, operator: '==', value });
    candidates = candidates.filter((n) => attribute(n, key) === value);
  }
  return chosen;
}
