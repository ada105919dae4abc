import { randomUUID } from 'node:crypto';
import { matchesContainerFilter } from '../container-filter.js';
import { checkEnforcement } from '../enforcement.js';
import {
  ContainerCreationError,
  ContainerNotFoundError,
  getErrorMessage,
  type UnsupportedFeature,
} from '../errors/index.js';
import { parseExecCommand, parseExecOptions } from '../exec-validation.js';
import { isObjectId, requireObjectId } from '../object-ids.js';
import { callSignal } from '../plain-data.js';
import {
  type ContainerConfigInput,
  type ContainerFilter,
  ContainerFilterSchema,
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
  DriverHealth,
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
import { derivedCleanup, derivedHealthCheck, derivedIsHealthy, derivedLogs } from './derived.js';
import { KitFiles } from './kit-files.js';
import { ownedLabels } from './labels.js';
import type { CreateContext, PrimitiveContext } from './primitives.js';
import { checkNetworkChoice, checkVolumeChoice } from './resource-drivers.js';
import { networkEnforcement, volumeEnforcement } from './resource-enforcement.js';

/**
 * A full ContainerDriver around a driver's primitives: every input parsed and checked once,
 * here, with the driver's policy; enforcement decided against its capabilities; one label
 * vocabulary; the signal checked before and after each primitive; timeouts; and the derived
 * operations a driver does not provide. Drivers extend it (or use `defineDriver`).
 */
export class KitDriver extends KitFiles implements ContainerDriver {
  createContainer(
    input: ContainerConfigInput,
    options?: OperationOptions,
  ): Promise<ContainerInstance> {
    return this.kitCall('createContainer', options, 'create options', async (ctx, call) => {
      const config = parseContainerConfig(input, this.kitPolicy);
      const issues = (await this.primitives.checkContainer?.(config, ctx)) ?? [];
      if (issues.length > 0) fail(`container configuration (driver '${this.name}')`, issues);
      const caps = await this.kitCapabilities(ctx);
      const unenforced = checkEnforcement(config, caps, this.enforcement, this.name, (f) =>
        this.primitives.unenforcedReason?.(f),
      );
      const token = randomUUID();
      const owned = ownedLabels(this.kitPolicy.labels, this, config, unenforced, token);
      const labels = this.kitLifetimes.label(config, owned, unenforced);
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
        return instance;
      }
      return this.#arrangeLifetime(instance);
    });
  }

  /** A container whose deadline nothing would enforce must not stay: it is removed again. */
  async #arrangeLifetime(instance: ContainerInstance): Promise<ContainerInstance> {
    try {
      return await this.kitLifetimes.created(instance);
    } catch (error) {
      await this.primitives
        .removeContainer(instance.id, { force: true, volumes: true }, { signal: undefined })
        .catch(() => undefined);
      this.kitLifetimes.removed(instance.id);
      throw new ContainerCreationError(
        `Container made but removed again: its lifetime could not be arranged (${getErrorMessage(error)}). Check that the driver's state directory is writable.`,
        undefined,
        { cause: error },
      );
    }
  }

  startContainer(id: string, options?: OperationOptions): Promise<void> {
    return this.kitCall('startContainer', options, 'start options', (ctx) => {
      const target = this.kitTarget(id, 'container');
      return this.kitLifetimes.starting(target, () => this.primitives.startContainer(target, ctx));
    });
  }

  stopContainer(id: string, options?: StopOptions): Promise<void> {
    return this.kitCall('stopContainer', options, 'stop options', (ctx) =>
      this.primitives.stopContainer(
        this.kitTarget(id, 'container'),
        parseStopOptions(options),
        ctx,
      ),
    );
  }

  restartContainer(id: string, options?: StopOptions): Promise<void> {
    return this.kitCall('stopContainer', options, 'restart options', async (ctx) => {
      const target = this.kitTarget(id, 'container');
      const parsed = parseStopOptions(options);
      await this.kitLifetimes.starting(target, async () => {
        if (this.primitives.restartContainer) {
          return this.primitives.restartContainer(target, parsed, ctx);
        }
        await this.primitives.stopContainer(target, parsed, ctx);
        await this.primitives.startContainer(target, ctx);
      });
    });
  }

  removeContainer(id: string, options?: RemoveOptions): Promise<void> {
    return this.kitCall('removeContainer', options, 'remove options', async (ctx) => {
      const target = this.kitTarget(id, 'container');
      await this.primitives.removeContainer(target, parseRemoveOptions(options), ctx);
      this.kitLifetimes.removed(target);
    });
  }

  getContainer(id: string, options?: OperationOptions): Promise<ContainerInstance | null> {
    return this.kitCall('getContainer', options, 'get options', async (ctx) => {
      const instance = isObjectId(id) ? await this.primitives.getContainer(id, ctx) : null;
      return instance && this.kitLifetimes.decorate(instance);
    });
  }

  extendTtl(id: string, ms: number, options?: OperationOptions): Promise<Date> {
    return this.kitFeature('getContainer', options, 'lifetimes', id, async (target, ctx) => {
      const instance = await this.primitives.getContainer(target, ctx);
      if (!instance) throw new ContainerNotFoundError(target);
      return this.kitLifetimes.extend(instance, ms);
    });
  }

  listContainers(
    filter?: ContainerFilter,
    options?: OperationOptions,
  ): Promise<ContainerInstance[]> {
    return this.kitCall('listContainers', options, 'list options', async (ctx) => {
      const parsed = parseInput(ContainerFilterSchema, filter ?? {}, 'container filter');
      return (await this.primitives.listContainers(parsed, ctx))
        .filter((instance) => matchesContainerFilter(instance, parsed))
        .map((instance) => this.kitLifetimes.decorate(instance));
    });
  }

  getContainerLogs(id: string, options?: GetLogsOptions): Promise<string> {
    return this.kitCall('getContainer', options, 'log options', (ctx) => {
      const target = this.kitLookup(id, 'container');
      const parsed = parseLogOptions(options ?? {});
      return this.primitives.getContainerLogs
        ? this.primitives.getContainerLogs(target, parsed, ctx)
        : derivedLogs(this.primitives, target, parsed, ctx);
    });
  }

  async *streamLogs(id: string, options?: StreamLogsOptions): AsyncGenerator<LogLine> {
    const call = new CallSignal(callSignal(options, 'log options'), 'streamLogs', undefined);
    call.check();
    const target = this.kitLookup(id, 'container');
    const parsed = { ...parseLogOptions(options ?? {}), follow: options?.follow === true };
    yield* this.primitives.streamLogs(target, parsed, { signal: call.signal });
  }

  waitContainer(id: string, options?: OperationOptions): Promise<WaitResult> {
    return this.kitCall('waitContainer', options, 'wait options', (ctx) =>
      this.primitives.waitContainer(this.kitLookup(id, 'container'), ctx),
    );
  }

  exec(id: string, command: string[], options?: ExecCallOptions): Promise<ExecResult> {
    return this.kitCall('exec', options, 'exec options', (ctx) => {
      const target = this.kitTarget(id, 'container');
      // The checked copies are what runs: the caller's objects could change after the check.
      const argv = parseExecCommand(command);
      const parsed = parseExecOptions(options ?? {}, this.kitPolicy);
      return this.kitLifetimes.busy(target, () => this.primitives.exec(target, argv, parsed, ctx));
    });
  }

  getContainerStats(id: string, options?: OperationOptions): Promise<ContainerStats> {
    return this.kitCall('getContainerStats', options, 'stats options', (ctx) =>
      this.primitives.getContainerStats(this.kitLookup(id, 'container'), ctx),
    );
  }

  healthCheck(options?: OperationOptions): Promise<DriverHealth> {
    return this.kitCall('listContainers', options, 'health options', (ctx) =>
      this.primitives.healthCheck
        ? this.primitives.healthCheck(ctx)
        : derivedHealthCheck(this.primitives, this.kitStartedAt, ctx),
    );
  }

  isContainerHealthy(id: string, options?: OperationOptions): Promise<boolean> {
    return this.kitCall('getContainer', options, 'health options', (ctx) => {
      const target = this.kitLookup(id, 'container');
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
    return this.kitCall('removeVolume', options, 'volume options', (ctx) =>
      this.primitives.removeVolume(this.kitTarget(id, 'volume'), ctx),
    );
  }

  listVolumes(options?: OperationOptions): Promise<Volume[]> {
    return this.kitCall('listVolumes', options, 'list options', (ctx) =>
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
    return this.kitCall(operation, options, `${kind} options`, async (ctx, call) => {
      const volume = kind === 'volume';
      const config = volume
        ? parseInput(VolumeConfigSchema, input, 'volume configuration')
        : parseInput(NetworkConfigSchema, input, 'network configuration');
      requireObjectId(config.name, kind);
      if (volume) await checkVolumeChoice(config as VolumeConfig, this.primitives, ctx);
      else await checkNetworkChoice(config as NetworkConfig, this.primitives, ctx);
      const caps = await this.kitCapabilities(ctx);
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
    const labels = ownedLabels(this.kitPolicy.labels, this, config, unenforced, token);
    call.check();
    const made = await create({ ...ctx, labels, unenforced, token });
    return unenforced.length > 0 ? { ...made, unenforced: [...unenforced] } : made;
  }

  removeNetwork(id: string, options?: OperationOptions): Promise<void> {
    return this.kitCall('removeNetwork', options, 'network options', (ctx) =>
      this.primitives.removeNetwork(this.kitTarget(id, 'network'), ctx),
    );
  }

  listNetworks(options?: OperationOptions): Promise<Network[]> {
    return this.kitCall('listNetworks', options, 'list options', (ctx) =>
      this.primitives.listNetworks(ctx),
    );
  }

  cleanup(filter: CleanupFilter, options?: OperationOptions): Promise<CleanupResult> {
    return this.kitCall('cleanup', options, 'cleanup options', async (ctx) => {
      const parsed = parseCleanupFilter(filter);
      const result = this.primitives.cleanup
        ? await this.primitives.cleanup(parsed, ctx)
        : await derivedCleanup(this.primitives, parsed, ctx);
      await this.kitLifetimes.forget((id) => this.primitives.getContainer(id, ctx));
      return result;
    });
  }
}
