import { randomUUID } from 'node:crypto';
import { matchesContainerFilter } from '../container-filter.js';
import { CONTRACT_VERSION } from '../contract-version.js';
import { checkEnforcement } from '../enforcement.js';
import {
  ContainerNotFoundError,
  NetworkNotFoundError,
  type UnsupportedFeature,
  VolumeNotFoundError,
} from '../errors/index.js';
import { parseExecCommand, parseExecOptions } from '../exec-validation.js';
import { isObjectId, requireObjectId } from '../object-ids.js';
import { callSignal } from '../plain-data.js';
import type { ContainerProcess, ProcessInfo, SpawnOptions } from '../process/process-types.js';
import { parseSpawnOptions } from '../process/spawn-options.js';
import {
  type ContainerConfigInput,
  type ContainerFilter,
  ContainerFilterSchema,
  type ContainerSignal,
  type NetworkConfig,
  type NetworkConfigInput,
  NetworkConfigSchema,
  type VolumeConfig,
  type VolumeConfigInput,
  VolumeConfigSchema,
} from '../schemas.js';
import type {
  CleanupFilter,
  CleanupResult,
  ContainerDriver,
  ContainerInstance,
  ContainerStats,
  DriverCapabilities,
  DriverHealth,
  EnforcementMode,
  ExecCallOptions,
  ExecResult,
  GetLogsOptions,
  LogLine,
  Network,
  OperationOptions,
  RemoveOptions,
  StopOptions,
  StreamLogsOptions,
  Volume,
  WaitResult,
} from '../types.js';
import { fail, parseContainerConfig, parseInput, parseLogOptions } from '../validation.js';
import { parseCleanupFilter, parseRemoveOptions, parseStopOptions } from './call-options.js';
import { CallSignal } from './call-signal.js';
import {
  fullCapabilities,
  parseSignal,
  processHandle,
  requireFeature,
} from './container-control.js';
import { derivedCleanup, derivedHealthCheck, derivedIsHealthy, derivedLogs } from './derived.js';
import { type ParsedPolicy, parseDriverPolicy } from './driver-policy.js';
import { ownedLabels } from './labels.js';
import type {
  CreateContext,
  DriverPolicy,
  DriverPrimitives,
  OptionalFeature,
  PrimitiveContext,
  TimedOperation,
} from './primitives.js';
import { checkNetworkChoice, checkVolumeChoice } from './resource-drivers.js';
import { networkEnforcement, volumeEnforcement } from './resource-enforcement.js';

type Kind = 'container' | 'volume' | 'network';

const NOT_FOUND = {
  container: (id: string) => new ContainerNotFoundError(id),
  volume: (id: string) => new VolumeNotFoundError(id),
  network: (id: string) => new NetworkNotFoundError(id),
};

/**
 * A full ContainerDriver around a driver's primitives: every input parsed and checked once,
 * here, with the driver's policy; enforcement decided against its capabilities; one label
 * vocabulary; the signal checked before and after each primitive; timeouts; and the derived
 * operations a driver does not provide. Drivers extend it (or use `defineDriver`).
 */
export class KitDriver implements ContainerDriver {
  readonly name: string;
  readonly version: string;
  readonly contractVersion = CONTRACT_VERSION;
  readonly enforcement: EnforcementMode;
  protected readonly primitives: DriverPrimitives;
  readonly #policy: ParsedPolicy;
  readonly #startedAt = Date.now();
  #closing: Promise<void> | undefined;

  constructor(primitives: DriverPrimitives, policy: DriverPolicy = {}) {
    this.primitives = primitives;
    this.name = primitives.name;
    this.version = primitives.version;
    this.#policy = parseDriverPolicy(policy);
    this.enforcement = this.#policy.enforcement ?? 'strict';
  }

  /** Runs one primitive under the call's signal: checked before, and after it returned. */
  async #call<T>(
    operation: TimedOperation,
    options: unknown,
    what: string,
    body: (ctx: PrimitiveContext, call: CallSignal) => Promise<T>,
  ): Promise<T> {
    const call = new CallSignal(
      callSignal(options, what),
      operation,
      this.#policy.timeouts[operation],
    );
    call.check();
    try {
      const result = await body({ signal: call.signal }, call);
      call.check();
      return result;
    } catch (error) {
      throw call.explain(error);
    }
  }

  /** An id for a change: one that cannot be an id is the caller's mistake. */
  #target(id: unknown, kind: Kind): string {
    return requireObjectId(id, kind);
  }

  /** An id for a read: one that cannot be an id names nothing there is. */
  #lookup(id: unknown, kind: Kind): string {
    if (!isObjectId(id)) throw NOT_FOUND[kind](id as string);
    return id;
  }

  capabilities(options?: OperationOptions): Promise<DriverCapabilities> {
    return this.#call('capabilities', options, 'capabilities options', (ctx) =>
      this.#capabilities(ctx),
    );
  }

  async #capabilities(ctx: PrimitiveContext): Promise<DriverCapabilities> {
    return fullCapabilities(this.primitives, await this.primitives.capabilities(ctx));
  }

  createContainer(
    input: ContainerConfigInput,
    options?: OperationOptions,
  ): Promise<ContainerInstance> {
    return this.#call('createContainer', options, 'create options', async (ctx, call) => {
      const config = parseContainerConfig(input, this.#policy);
      const issues = (await this.primitives.checkContainer?.(config, ctx)) ?? [];
      if (issues.length > 0) fail(`container configuration (driver '${this.name}')`, issues);
      const caps = await this.#capabilities(ctx);
      const unenforced = checkEnforcement(config, caps, this.enforcement, this.name);
      const token = randomUUID();
      const labels = ownedLabels(this.#policy.labels, this, config, unenforced, token);
      call.check();
      const instance = await this.primitives.createContainer(config, {
        ...ctx,
        labels,
        unenforced,
        token,
      });
      if (ctx.signal?.aborted) {
        // Made, but the caller gave up and will never learn its id: it must not stay behind.
        await this.primitives
          .removeContainer(instance.id, { force: true, volumes: true }, { signal: undefined })
          .catch(() => undefined);
      }
      return instance;
    });
  }

  startContainer(id: string, options?: OperationOptions): Promise<void> {
    return this.#call('startContainer', options, 'start options', (ctx) =>
      this.primitives.startContainer(this.#target(id, 'container'), ctx),
    );
  }

  stopContainer(id: string, options?: StopOptions): Promise<void> {
    return this.#call('stopContainer', options, 'stop options', (ctx) =>
      this.primitives.stopContainer(this.#target(id, 'container'), parseStopOptions(options), ctx),
    );
  }

  restartContainer(id: string, options?: StopOptions): Promise<void> {
    return this.#call('stopContainer', options, 'restart options', async (ctx) => {
      const target = this.#target(id, 'container');
      const parsed = parseStopOptions(options);
      if (this.primitives.restartContainer) {
        return this.primitives.restartContainer(target, parsed, ctx);
      }
      await this.primitives.stopContainer(target, parsed, ctx);
      await this.primitives.startContainer(target, ctx);
    });
  }

  removeContainer(id: string, options?: RemoveOptions): Promise<void> {
    return this.#call('removeContainer', options, 'remove options', (ctx) =>
      this.primitives.removeContainer(
        this.#target(id, 'container'),
        parseRemoveOptions(options),
        ctx,
      ),
    );
  }

  getContainer(id: string, options?: OperationOptions): Promise<ContainerInstance | null> {
    return this.#call('getContainer', options, 'get options', async (ctx) =>
      isObjectId(id) ? this.primitives.getContainer(id, ctx) : null,
    );
  }

  listContainers(
    filter?: ContainerFilter,
    options?: OperationOptions,
  ): Promise<ContainerInstance[]> {
    return this.#call('listContainers', options, 'list options', async (ctx) => {
      const parsed = parseInput(ContainerFilterSchema, filter ?? {}, 'container filter');
      return (await this.primitives.listContainers(parsed, ctx)).filter((instance) =>
        matchesContainerFilter(instance, parsed),
      );
    });
  }

  getContainerLogs(id: string, options?: GetLogsOptions): Promise<string> {
    return this.#call('getContainer', options, 'log options', (ctx) => {
      const target = this.#lookup(id, 'container');
      const parsed = parseLogOptions(options ?? {});
      return this.primitives.getContainerLogs
        ? this.primitives.getContainerLogs(target, parsed, ctx)
        : derivedLogs(this.primitives, target, parsed, ctx);
    });
  }

  async *streamLogs(id: string, options?: StreamLogsOptions): AsyncGenerator<LogLine> {
    const call = new CallSignal(callSignal(options, 'log options'), 'streamLogs', undefined);
    call.check();
    const target = this.#lookup(id, 'container');
    const parsed = { ...parseLogOptions(options ?? {}), follow: options?.follow === true };
    yield* this.primitives.streamLogs(target, parsed, { signal: call.signal });
  }

  waitContainer(id: string, options?: OperationOptions): Promise<WaitResult> {
    return this.#call('waitContainer', options, 'wait options', (ctx) =>
      this.primitives.waitContainer(this.#lookup(id, 'container'), ctx),
    );
  }

  exec(id: string, command: string[], options?: ExecCallOptions): Promise<ExecResult> {
    return this.#call('exec', options, 'exec options', (ctx) => {
      const target = this.#target(id, 'container');
      // The checked copies are what runs: the caller's objects could change after the check.
      const argv = parseExecCommand(command);
      const parsed = parseExecOptions(options ?? {}, this.#policy);
      return this.primitives.exec(target, argv, parsed, ctx);
    });
  }

  /** An optional feature's call on one container: the id checked, the capability required. */
  #feature<T>(
    operation: TimedOperation,
    options: unknown,
    feature: OptionalFeature,
    id: unknown,
    run: (target: string, ctx: PrimitiveContext) => Promise<T> | undefined,
    read = false,
  ): Promise<T> {
    return this.#call(operation, options, `${operation} options`, async (ctx) => {
      const target = read ? this.#lookup(id, 'container') : this.#target(id, 'container');
      requireFeature(await this.#capabilities(ctx), feature, this.name);
      return run(target, ctx) as Promise<T>;
    });
  }

  signalContainer(id: string, signal: ContainerSignal, options?: OperationOptions): Promise<void> {
    const parsed = () => parseSignal(signal);
    return this.#feature('signalContainer', options, 'signals', id, (t, ctx) =>
      this.primitives.signalContainer?.(t, parsed(), ctx),
    );
  }

  pauseContainer(id: string, options?: OperationOptions): Promise<void> {
    return this.#feature('pauseContainer', options, 'pause', id, (t, ctx) =>
      this.primitives.pauseContainer?.(t, ctx),
    );
  }

  resumeContainer(id: string, options?: OperationOptions): Promise<void> {
    return this.#feature('resumeContainer', options, 'pause', id, (t, ctx) =>
      this.primitives.resumeContainer?.(t, ctx),
    );
  }

  spawn(id: string, command: string[], options?: SpawnOptions): Promise<ContainerProcess> {
    return this.#feature('spawn', options, 'processes', id, async (t, ctx) => {
      const argv = parseExecCommand(command);
      const parsed = parseSpawnOptions(options, this.#policy);
      const source = await this.primitives.spawn?.(t, argv, parsed, ctx);
      return processHandle(source, parsed, options?.signal);
    });
  }

  listProcesses(id: string, options?: OperationOptions): Promise<ProcessInfo[]> {
    const run = (t: string, ctx: PrimitiveContext) => this.primitives.listProcesses?.(t, ctx);
    return this.#feature('listProcesses', options, 'processAttach', id, run, true);
  }

  attach(id: string, processId: string, options?: OperationOptions): Promise<ContainerProcess> {
    return this.#feature('listProcesses', options, 'processAttach', id, async (t, ctx) => {
      const source = await this.primitives.attach?.(t, requireObjectId(processId, 'process'), ctx);
      return processHandle(source, undefined, options?.signal);
    });
  }

  getContainerStats(id: string, options?: OperationOptions): Promise<ContainerStats> {
    return this.#call('getContainerStats', options, 'stats options', (ctx) =>
      this.primitives.getContainerStats(this.#lookup(id, 'container'), ctx),
    );
  }

  healthCheck(options?: OperationOptions): Promise<DriverHealth> {
    return this.#call('listContainers', options, 'health options', (ctx) =>
      this.primitives.healthCheck
        ? this.primitives.healthCheck(ctx)
        : derivedHealthCheck(this.primitives, this.#startedAt, ctx),
    );
  }

  isContainerHealthy(id: string, options?: OperationOptions): Promise<boolean> {
    return this.#call('getContainer', options, 'health options', (ctx) => {
      const target = this.#lookup(id, 'container');
      return this.primitives.isContainerHealthy
        ? this.primitives.isContainerHealthy(target, ctx)
        : derivedIsHealthy(this.primitives, target, ctx);
    });
  }

  createVolume(input: VolumeConfigInput, options?: OperationOptions): Promise<Volume> {
    return this.#createOwned('createVolume', options, 'volume', input, (config, ctx) =>
      this.primitives.createVolume(config as VolumeConfig, ctx),
    );
  }

  removeVolume(id: string, options?: OperationOptions): Promise<void> {
    return this.#call('removeVolume', options, 'volume options', (ctx) =>
      this.primitives.removeVolume(this.#target(id, 'volume'), ctx),
    );
  }

  listVolumes(options?: OperationOptions): Promise<Volume[]> {
    return this.#call('listVolumes', options, 'list options', (ctx) =>
      this.primitives.listVolumes(ctx),
    );
  }

  createNetwork(input: NetworkConfigInput, options?: OperationOptions): Promise<Network> {
    return this.#createOwned('createNetwork', options, 'network', input, (config, ctx) =>
      this.primitives.createNetwork(config as NetworkConfig, ctx),
    );
  }

  /** A volume or network: parsed, its driver choice checked, enforcement decided, labelled. */
  #createOwned<R extends { unenforced?: UnsupportedFeature[] }>(
    operation: 'createVolume' | 'createNetwork',
    options: unknown,
    kind: 'volume' | 'network',
    input: unknown,
    create: (config: VolumeConfig | NetworkConfig, ctx: CreateContext) => Promise<R>,
  ): Promise<R> {
    return this.#call(operation, options, `${kind} options`, async (ctx, call) => {
      const volume = kind === 'volume';
      const config = volume
        ? parseInput(VolumeConfigSchema, input, 'volume configuration')
        : parseInput(NetworkConfigSchema, input, 'network configuration');
      requireObjectId(config.name, kind);
      if (volume) await checkVolumeChoice(config as VolumeConfig, this.primitives, ctx);
      else await checkNetworkChoice(config as NetworkConfig, this.primitives, ctx);
      const caps = await this.#capabilities(ctx);
      const reason = (f: string) => this.primitives.unenforcedReason?.(f);
      const unenforced = volume
        ? volumeEnforcement(config as VolumeConfig, caps, this.enforcement, this.name, reason)
        : networkEnforcement(config as NetworkConfig, caps, this.enforcement, this.name, reason);
      return this.#createResource(config, unenforced, ctx, call, (c) => create(config, c));
    });
  }

  /** A volume or network, labelled, with what was not enforced on the result. */
  async #createResource<R extends { unenforced?: UnsupportedFeature[] }>(
    config: { labels: Record<string, string>; sessionId?: string; tenantId?: string },
    unenforced: UnsupportedFeature[],
    ctx: PrimitiveContext,
    call: CallSignal,
    create: (ctx: CreateContext) => Promise<R>,
  ): Promise<R> {
    const token = randomUUID();
    const labels = ownedLabels(this.#policy.labels, this, config, unenforced, token);
    call.check();
    const made = await create({ ...ctx, labels, unenforced, token });
    return unenforced.length > 0 ? { ...made, unenforced: [...unenforced] } : made;
  }

  removeNetwork(id: string, options?: OperationOptions): Promise<void> {
    return this.#call('removeNetwork', options, 'network options', (ctx) =>
      this.primitives.removeNetwork(this.#target(id, 'network'), ctx),
    );
  }

  listNetworks(options?: OperationOptions): Promise<Network[]> {
    return this.#call('listNetworks', options, 'list options', (ctx) =>
      this.primitives.listNetworks(ctx),
    );
  }

  cleanup(filter: CleanupFilter, options?: OperationOptions): Promise<CleanupResult> {
    return this.#call('cleanup', options, 'cleanup options', (ctx) => {
      const parsed = parseCleanupFilter(filter);
      return this.primitives.cleanup
        ? this.primitives.cleanup(parsed, ctx)
        : derivedCleanup(this.primitives, parsed, ctx);
    });
  }

  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => this.primitives.close?.());
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
