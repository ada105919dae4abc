import type { EnforcementMode } from '@berth/core';
import type { EngineOptions } from '@berth/driver-docker/engine';

/** How to reach one engine: a manager's or a node's (a Unix socket, or TCP with TLS). */
export type EngineEndpoint = Pick<
  EngineOptions,
  'socketPath' | 'host' | 'port' | 'protocol' | 'ca' | 'cert' | 'key' | 'timeout' | 'version'
>;

export interface SwarmDriverOptions {
  /** A manager's engine; without it DOCKER_HOST, else the default socket. */
  manager?: EngineEndpoint;
  /**
   * The engines of the swarm's other nodes, where exec, stats, files and processes of a task on
   * them go. Each is asked which node it is, so their order does not matter. The manager's own
   * node needs no entry. A task on a node missing here runs, but those calls on it fail with a
   * NetworkError naming the node.
   */
  nodes?: EngineEndpoint[];
  /**
   * `strict` (default) refuses a config asking for something this swarm cannot enforce;
   * `best-effort` runs it anyway and lists what was not enforced on the instance.
   */
  enforcement?: EnforcementMode;
  /** Labels put on every service, volume and network this driver makes. */
  labels?: Record<string, string>;
  /**
   * DANGEROUS. Accept `security.user` and the exec `user` with uid 0 or gid 0, refused by
   * default: unless the nodes remap users, root in a task is root on its node.
   */
  allowRoot?: boolean;
  /**
   * DANGEROUS. Swarm networks this driver did not make that containers may join anyway, by exact
   * name (e.g. an overlay another tool made).
   */
  allowNetworks?: string[];
  /**
   * How long `startContainer` waits for the task to run, in ms (default 60 000): the scheduler
   * may hold it pending while no node has room.
   */
  startTimeoutMs?: number;
}
