import { KitDriver } from '@berth/core/kit';
import { type NodeAmounts, roomiest, type SwarmNodeView } from './cluster/node-capacity.js';
import { SwarmEngine } from './swarm-engine.js';
import type { SwarmDriverOptions } from './swarm-options.js';

/**
 * The Docker Swarm driver: each container is a service of one task, placed by the swarm on one
 * of its nodes, under the kit, which validates every input, decides enforcement and stamps
 * labels. Give it a manager's engine (or none, for DOCKER_HOST or the default socket) and the
 * engines of the other nodes, where what runs inside a container is reached.
 */
export class SwarmDriver extends KitDriver {
  readonly #engine: SwarmEngine;

  constructor(options: SwarmDriverOptions = {}) {
    const engine = new SwarmEngine(options);
    super(engine, {
      ...(options.enforcement === undefined ? {} : { enforcement: options.enforcement }),
      ...(options.labels === undefined ? {} : { labels: options.labels }),
      allowRoot: options.allowRoot === true,
    });
    this.#engine = engine;
  }

  /** Every node of the swarm, its capacity and what this driver's containers hold of it. */
  listNodes(options: { signal?: AbortSignal } = {}): Promise<SwarmNodeView[]> {
    options.signal?.throwIfAborted();
    return this.#engine.nodes(options.signal);
  }

  /**
   * The ready, active node with the most memory left that fits `request` (cores and MB), for a
   * `placement` constraint on `node.id`; undefined when none has room.
   */
  async pickNode(
    request: NodeAmounts,
    options: { signal?: AbortSignal } = {},
  ): Promise<SwarmNodeView | undefined> {
    return roomiest(await this.listNodes(options), request);
  }
}
