import type {
  CleanupFilter,
  CleanupResult,
  ContainerConfig,
  ContainerFilter,
  ContainerInstance,
  ContainerSignal,
  ContainerStats,
  DriverHealth,
  ExecResult,
  FileInfo,
  LogLine,
  LogOptions,
  Network,
  NetworkConfig,
  ProcessInfo,
  ValidationIssue,
  Volume,
  VolumeConfig,
  WaitResult,
} from '@berth/core';
import type {
  CreateContext,
  DriverPrimitives,
  ParsedExecOptions,
  ParsedLogOptions,
  ParsedRemoveOptions,
  ParsedSpawnOptions,
  ParsedStopOptions,
  PrimitiveCapabilities,
  PrimitiveContext,
  ProcessSource,
} from '@berth/core/kit';
import { type ContainerEngine, toNetwork } from '@berth/driver-docker/engine';
import { readSwarmFacts, type SwarmFacts } from './cluster/capabilities.js';
import { swarmHealth } from './cluster/health.js';
import { ManagerApi, ownerLabels } from './cluster/manager.js';
import { nodeViews, type SwarmNodeView } from './cluster/node-capacity.js';
import { NodeEngines } from './cluster/node-engines.js';
import { DRIVER_NAME, DRIVER_VERSION } from './identity.js';
import { cleanup } from './resources/cleanup.js';
import * as networks from './resources/networks.js';
import * as volumes from './resources/volumes.js';
import { toInstance } from './services/instance.js';
import { removeService, startService, stopService, waitService } from './services/lifecycle.js';
import { checkConfig, type Resolved } from './services/placement-checks.js';
import { toServiceSpec } from './services/service-spec.js';
import { Views } from './services/views.js';
import type { SwarmDriverOptions } from './swarm-options.js';
import { checkSwarmOptions } from './swarm-options-check.js';

type Signal = AbortSignal | undefined;

/**
 * The swarm driver's primitives. A container is a service of one task: the manager keeps its
 * spec and says where its task runs; what happens inside the container (exec, stats, logs,
 * files, processes, signals, pause) goes to the engine of that task's node, through the Docker
 * driver's own container primitives.
 */
export class SwarmEngine implements DriverPrimitives {
  readonly name = DRIVER_NAME;
  readonly version = DRIVER_VERSION;

  readonly manager: ManagerApi;
  readonly engines: NodeEngines;
  readonly #views: Views;
  readonly #allowNetworks: string[];
  readonly #startTimeoutMs: number;
  #facts: Promise<SwarmFacts> | undefined;
  // What checkContainer found for a config, for the create that follows with the same object.
  readonly #resolved = new WeakMap<ContainerConfig, Resolved>();

  constructor(input: SwarmDriverOptions) {
    const options = checkSwarmOptions(input);
    const endpoint = options.manager ?? {};
    this.manager = new ManagerApi(endpoint);
    this.engines = new NodeEngines(
      this.manager,
      endpoint,
      options.nodes ?? [],
      options.allowRoot === true,
    );
    this.#views = new Views(this.manager, this.engines);
    this.#allowNetworks = [...(options.allowNetworks ?? [])];
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000;
  }

  #swarm(signal: Signal): Promise<SwarmFacts> {
    this.#facts ??= readSwarmFacts(this.manager, signal).then((facts) => {
      this.#reasons = facts.reasons;
      return facts;
    });
    const facts = this.#facts;
    // A failed read (manager away) is not kept: the next call asks again.
    facts.catch(() => {
      if (this.#facts === facts) this.#facts = undefined;
    });
    return facts;
  }

  async capabilities(ctx: PrimitiveContext): Promise<PrimitiveCapabilities> {
    return { ...(await this.#swarm(ctx.signal)).caps };
  }

  #reasons: Record<string, string> = {};
  unenforcedReason(feature: string): string | undefined {
    return this.#reasons[feature];
  }

  networkDrivers(): string[] {
    return ['overlay'];
  }

  async checkContainer(config: ContainerConfig, ctx: PrimitiveContext): Promise<ValidationIssue[]> {
    const { issues, resolved } = await checkConfig(
      this.manager,
      this.engines,
      config,
      { allowNetworks: this.#allowNetworks },
      ctx.signal,
    );
    this.#resolved.set(config, resolved);
    return issues;
  }

  async createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance> {
    const facts = await this.#swarm(ctx.signal);
    const resolved = this.#resolved.get(config) ?? {};
    const own =
      config.network === undefined
        ? await networks.createOwnNetwork(this.manager, ctx.labels, ctx.token, ctx.signal)
        : undefined;
    let id: string | undefined;
    try {
      const spec = toServiceSpec(config, {
        labels: { ...ctx.labels },
        networkId: own ?? resolved.networkId,
        pinTo: resolved.pinTo,
        pidsAndCaps: facts.caps.pids || facts.caps.capabilityDrop,
      });
      id = (await this.manager.createService(spec, ctx.signal)).ID;
      // No task yet, so no node: the service alone is the whole view.
      return toInstance({ service: await this.manager.serviceOrThrow(id, ctx.signal) });
    } catch (error) {
      // Nothing half-made is left: the service, then the network made for it.
      if (id !== undefined) await this.manager.removeService(id, undefined).catch(() => undefined);
      if (own !== undefined) await networks.removeOwnNetwork(this.manager, ctx.token);
      throw error;
    }
  }

  startContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    return startService(this.#views, id, this.#startTimeoutMs, ctx);
  }

  stopContainer(id: string, options: ParsedStopOptions, ctx: PrimitiveContext): Promise<void> {
    return stopService(this.#views, id, options, ctx);
  }

  removeContainer(id: string, options: ParsedRemoveOptions, ctx: PrimitiveContext): Promise<void> {
    return removeService(this.#views, id, options, ctx);
  }

  async getContainer(id: string, ctx: PrimitiveContext): Promise<ContainerInstance | null> {
    const view = await this.#views.view(id, ctx.signal);
    return view ? toInstance(view) : null;
  }

  async listContainers(
    filter: ContainerFilter,
    ctx: PrimitiveContext,
  ): Promise<ContainerInstance[]> {
    return (await this.#views.views(ownerLabels(filter), ctx.signal)).map(toInstance);
  }

  waitContainer(id: string, ctx: PrimitiveContext): Promise<WaitResult> {
    return waitService(this.#views, id, ctx);
  }

  async isContainerHealthy(id: string, ctx: PrimitiveContext): Promise<boolean> {
    const instance = toInstance(await this.#views.viewOrThrow(id, ctx.signal));
    if (instance.status !== 'running') return false;
    return instance.health === 'none' || instance.health === 'healthy';
  }

  healthCheck(ctx: PrimitiveContext): Promise<DriverHealth> {
    // Not a manager (a worker's engine, swarm mode off) is unhealthy, saying how to fix it.
    const containers = async () => {
      await this.#swarm(ctx.signal);
      return this.listContainers({}, ctx);
    };
    return swarmHealth(this.manager, containers, ctx.signal);
  }

  /** Every node, its capacity, and what this driver's containers hold of it. */
  nodes(signal: Signal): Promise<SwarmNodeView[]> {
    return nodeViews(this.manager, signal);
  }

  // Inside the container: on the engine of the node running its task.
  async #onNode<T>(
    id: string,
    ctx: PrimitiveContext,
    call: (containers: ContainerEngine, containerId: string) => Promise<T>,
  ): Promise<T> {
    const { engine, containerId } = await this.#views.onNode(id, ctx.signal, { started: true });
    return call(engine.containers, containerId);
  }

  // A container never started has no output yet: no logs, rather than an error.
  async *streamLogs(
    id: string,
    options: ParsedLogOptions,
    ctx: PrimitiveContext,
  ): AsyncGenerator<LogLine> {
    const found = await this.#views.onNode(id, ctx.signal, { started: false });
    if (found) yield* found.engine.containers.streamLogs(found.containerId, options, ctx);
  }

  async getContainerLogs(id: string, options: LogOptions, ctx: PrimitiveContext): Promise<string> {
    const found = await this.#views.onNode(id, ctx.signal, { started: false });
    return found ? found.engine.containers.getContainerLogs(found.containerId, options, ctx) : '';
  }

  exec(
    id: string,
    command: string[],
    options: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult> {
    return this.#onNode(id, ctx, (c, cid) => c.exec(cid, command, options, ctx));
  }

  getContainerStats(id: string, ctx: PrimitiveContext): Promise<ContainerStats> {
    return this.#onNode(id, ctx, (c, cid) => c.getContainerStats(cid, ctx));
  }

  signalContainer(id: string, signal: ContainerSignal, ctx: PrimitiveContext): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.signalContainer(cid, signal, ctx));
  }

  pauseContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.pauseContainer(cid, ctx));
  }

  resumeContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.resumeContainer(cid, ctx));
  }

  spawn(
    id: string,
    command: string[],
    options: ParsedSpawnOptions,
    ctx: PrimitiveContext,
  ): Promise<ProcessSource> {
    return this.#onNode(id, ctx, (c, cid) => c.spawn(cid, command, options, ctx));
  }

  listProcesses(id: string, ctx: PrimitiveContext): Promise<ProcessInfo[]> {
    return this.#onNode(id, ctx, (c, cid) => c.listProcesses(cid, ctx));
  }

  attach(id: string, processId: string, ctx: PrimitiveContext): Promise<ProcessSource> {
    return this.#onNode(id, ctx, (c, cid) => c.attach(cid, processId, ctx));
  }

  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    ownership: 'archive' | 'container',
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.upload(cid, path, tar, ownership, ctx));
  }

  download(id: string, path: string, ctx: PrimitiveContext): Promise<AsyncIterable<Uint8Array>> {
    return this.#onNode(id, ctx, (c, cid) => c.download(cid, path, ctx));
  }

  stat(id: string, path: string, ctx: PrimitiveContext): Promise<FileInfo | null> {
    return this.#onNode(id, ctx, (c, cid) => c.stat(cid, path, ctx));
  }

  writeFile(
    id: string,
    path: string,
    data: AsyncIterable<Uint8Array>,
    options: { mode: number; owner?: { uid: number; gid: number } },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.writeFile(cid, path, data, options, ctx));
  }

  readFile(id: string, path: string, ctx: PrimitiveContext): Promise<AsyncIterable<Uint8Array>> {
    return this.#onNode(id, ctx, (c, cid) => c.readFile(cid, path, ctx));
  }

  listFiles(id: string, path: string, ctx: PrimitiveContext): Promise<FileInfo[]> {
    return this.#onNode(id, ctx, (c, cid) => c.listFiles(cid, path, ctx));
  }

  removeFile(
    id: string,
    path: string,
    options: { recursive: boolean; force: boolean },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.removeFile(cid, path, options, ctx));
  }

  makeDir(
    id: string,
    path: string,
    options: { mode: number; owner?: { uid: number; gid: number }; parents: boolean },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#onNode(id, ctx, (c, cid) => c.makeDir(cid, path, options, ctx));
  }

  // Volumes live on nodes, networks on the manager (overlays span the nodes).
  async createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume> {
    return volumes.createVolume(this.engines, await this.manager.nodes(true), config, ctx);
  }

  removeVolume(name: string, ctx: PrimitiveContext): Promise<void> {
    return volumes.removeVolume(this.engines, name, ctx);
  }

  async listVolumes(ctx: PrimitiveContext): Promise<Volume[]> {
    return (await volumes.listVolumes(this.engines, [], ctx.signal)).map((v) => v.volume);
  }

  createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network> {
    return networks.createNetwork(this.manager, config, ctx);
  }

  removeNetwork(id: string, ctx: PrimitiveContext): Promise<void> {
    return networks.removeNetwork(this.manager, id, ctx);
  }

  async listNetworks(ctx: PrimitiveContext): Promise<Network[]> {
    // A container's own network is part of that container, not one to list or join.
    return (await networks.listNetworks(this.manager, [], ctx))
      .filter((n) => n.Labels?.[networks.OWN_NETWORK_LABEL] === undefined)
      .map(toNetwork);
  }

  cleanup(filter: CleanupFilter, ctx: PrimitiveContext): Promise<CleanupResult> {
    return cleanup(this.manager, this.engines, filter, ctx);
  }
}
