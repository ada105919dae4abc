import { getErrorMessage, NetworkError } from '@berth/core';
import { ContainerEngine, EngineSession } from '@berth/driver-docker/engine';
import { DRIVER_NAME } from '../identity.js';
import type { EngineEndpoint } from '../swarm-options.js';
import type { ManagerApi } from './manager.js';
import type { SwarmNode } from './swarm-types.js';

/** One node's engine: raw calls, and the Docker driver's container primitives on its tasks. */
export interface NodeEngine {
  nodeId: string;
  session: EngineSession;
  containers: ContainerEngine;
}

interface Known {
  endpoint: EngineEndpoint;
  engine?: NodeEngine;
}

/**
 * Which engine runs which node. Each endpoint given is asked its swarm node id (`/info`) once it
 * is first needed; one that does not answer is asked again next time. A node nobody gave an
 * endpoint for, or whose engine is away, is a NetworkError that names it and says what to do.
 */
export class NodeEngines {
  readonly #manager: ManagerApi;
  readonly #endpoints: Known[];
  readonly #byNode = new Map<string, NodeEngine>();

  readonly #allowRoot: boolean;

  /** `allowRoot`: the driver's, for what the node engines do as root when allowed (removeFile). */
  constructor(
    manager: ManagerApi,
    managerEndpoint: EngineEndpoint,
    nodes: EngineEndpoint[],
    allowRoot: boolean,
  ) {
    this.#manager = manager;
    this.#allowRoot = allowRoot;
    this.#endpoints = [managerEndpoint, ...nodes].map((endpoint) => ({ endpoint }));
  }

  /** The engine of `nodeId`, or a NetworkError saying why there is none. */
  async engine(nodeId: string, signal: AbortSignal | undefined): Promise<NodeEngine> {
    const known = this.#byNode.get(nodeId);
    if (known) return known;
    const failures: string[] = [];
    await Promise.all(
      this.#endpoints
        .filter((entry) => entry.engine === undefined)
        .map(async (entry) => {
          try {
            await this.#identify(entry, signal);
          } catch (error) {
            failures.push(getErrorMessage(error));
          }
        }),
    );
    const found = this.#byNode.get(nodeId);
    if (found) return found;
    throw await this.#missing(nodeId, failures);
  }

  async #identify(entry: Known, signal: AbortSignal | undefined): Promise<void> {
    const session = new EngineSession(entry.endpoint, DRIVER_NAME);
    const info = await session.call<{ Swarm?: { NodeID?: string } }>(
      { method: 'GET', path: '/info', signal },
      { kind: 'engine' },
    );
    const nodeId = info.Swarm?.NodeID;
    if (!nodeId) return;
    const engine: NodeEngine = {
      nodeId,
      session,
      containers: new ContainerEngine(
        { ...entry.endpoint, allowRoot: this.#allowRoot },
        DRIVER_NAME,
      ),
    };
    entry.engine = engine;
    this.#byNode.set(nodeId, engine);
  }

  async #missing(nodeId: string, failures: string[]): Promise<NetworkError> {
    const node = (await this.#manager.nodes().catch(() => [] as SwarmNode[])).find(
      (n) => n.ID === nodeId,
    );
    const name = node ? `${node.Description.Hostname} (${nodeId})` : nodeId;
    const state = node ? `; the manager sees it ${node.Status.State}` : '';
    const tried =
      failures.length > 0 ? `; endpoints that did not answer: ${failures.join('; ')}` : '';
    return new NetworkError(
      `No engine of node ${name} can be reached${state}${tried}. Exec, stats, files and processes go to the engine of the node running the task: give its endpoint in the driver's \`nodes\` option, and make sure that engine runs.`,
      { retryable: node?.Status.State !== 'ready' },
    );
  }

  /** Every engine that answers now: for what lives on each node (volumes). */
  async reachable(signal: AbortSignal | undefined): Promise<NodeEngine[]> {
    await Promise.all(
      this.#endpoints
        .filter((entry) => entry.engine === undefined)
        .map((entry) => this.#identify(entry, signal).catch(() => undefined)),
    );
    return [...this.#byNode.values()];
  }
}
