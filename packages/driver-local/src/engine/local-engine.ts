import {
  type ContainerConfig,
  type ContainerFilter,
  type ContainerInstance,
  ContainerNotFoundError,
  type ContainerSignal,
  type ContainerStats,
  type DriverHealth,
  type ExecResult,
  type LogLine,
  type LogOptions,
  type Network,
  type NetworkConfig,
  type OperationOptions,
  type ProcessInfo,
  type ValidationIssue,
  type Volume,
  type VolumeConfig,
  type WaitResult,
} from '@berth/core';
import {
  type CreateContext,
  cleanupMatches,
  type DriverPrimitives,
  type LifetimeSupport,
  type ParsedExecOptions,
  type ParsedLogOptions,
  type ParsedRemoveOptions,
  type ParsedSpawnOptions,
  type ParsedStopOptions,
  type PrimitiveCapabilities,
  type PrimitiveContext,
  type ProcessSource,
} from '@berth/core/kit';
import {
  pauseContainer,
  pausedError,
  requireRunning,
  resumeContainer,
  signalContainer,
} from '../containers/container-control.js';
import { createContainer } from '../containers/container-create.js';
import { removeContainer } from '../containers/container-remove.js';
import { type ContainerSnapshot, isLive, toInstance } from '../containers/container-snapshot.js';
import { treeBytes } from '../containers/disk-usage.js';
import { execUser } from '../containers/exec-user.js';
import { checkContainer, refuseProgramName } from '../containers/local-policy.js';
import { DRIVER_NAME } from '../driver-name.js';
import { ContainerFiles } from '../files/container-files.js';
import { LocalFilePrimitives } from '../files/file-primitives.js';
import { capabilitiesOf, type HostFingerprint } from '../host/host-fingerprint.js';
import { localLifetimes } from '../lifetime/lifetimes.js';
import type { CleanupFilter, CleanupResult, LocalDriverOptions } from '../local-driver-options.js';
import { containerLogs, streamContainerLogs } from '../logs/container-logs.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { removeNetwork, removeVolume } from '../volumes-networks/in-use-removal.js';
import { driverHealth, unenforcedReason } from './driver-status.js';
import { EngineContext } from './engine-context.js';

/**
 * The local driver's primitives: containers as supervised local processes. The kit has
 * validated every input and decided enforcement before a call gets here; each concern's work is
 * in its own module, on the context all of them share.
 */
export class LocalEngine extends LocalFilePrimitives implements DriverPrimitives {
  readonly name = DRIVER_NAME;
  readonly version = PACKAGE_VERSION;
  readonly #ctx: EngineContext;
  protected readonly files: ContainerFiles;

  readonly lifetimes: LifetimeSupport;

  constructor(options: LocalDriverOptions = {}) {
    super();
    this.#ctx = new EngineContext(options);
    this.lifetimes = localLifetimes(options, this.#ctx.layout);
    this.files = new ContainerFiles(this.#ctx);
  }

  /** The state directory in use. */
  get stateDir(): string {
    return this.#ctx.layout.root;
  }

  /** What the host offers and what was found missing, for diagnostics. */
  async hostFingerprint(): Promise<HostFingerprint> {
    return (await this.#ctx.init()).host;
  }

  async capabilities(): Promise<PrimitiveCapabilities> {
    return capabilitiesOf((await this.#ctx.init()).host);
  }

  unenforcedReason(feature: string): string | undefined {
    return unenforcedReason(this.#ctx.lastHost, feature);
  }

  /** What the local driver cannot run, found before anything is made. */
  checkContainer(config: ContainerConfig): Promise<ValidationIssue[]> {
    return checkContainer(config, () => this.hostFingerprint());
  }

  // ---------------------------------------------------------------- containers

  createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance> {
    return createContainer(this.#ctx, config, ctx);
  }

  async startContainer(id: string): Promise<void> {
    const key = await this.#ctx.catalog.lockKey(id);
    await this.#ctx.locks.run(key, async () => {
      const snapshot = await this.#ctx.catalog.require(key);
      if (snapshot.status === 'running') return;
      if (snapshot.status === 'paused') {
        throw pausedError(snapshot.record.id, 'instead of starting it');
      }
      await this.#launch(snapshot);
    });
  }

  async stopContainer(id: string, options: ParsedStopOptions): Promise<void> {
    const key = await this.#ctx.catalog.lockKey(id);
    await this.#ctx.locks.run(key, () => this.#ctx.stopper.halt(key, options));
  }

  async restartContainer(id: string, options: ParsedStopOptions): Promise<void> {
    const key = await this.#ctx.catalog.lockKey(id);
    await this.#ctx.locks.run(key, async () => {
      await this.#ctx.stopper.halt(key, options);
      const snapshot = await this.#ctx.catalog.require(key);
      await this.#launch(snapshot);
    });
  }

  async removeContainer(id: string, options: ParsedRemoveOptions): Promise<void> {
    const key = await this.#ctx.catalog.lockKey(id);
    await this.#ctx.locks.run(key, () => removeContainer(this.#ctx, key, options));
  }

  async getContainer(id: string): Promise<ContainerInstance | null> {
    const snapshot = await this.#ctx.catalog.find(id);
    return snapshot ? toInstance(snapshot, DRIVER_NAME) : null;
  }

  listContainers(filter: ContainerFilter): Promise<ContainerInstance[]> {
    return this.#ctx.catalog.list(filter);
  }

  // ---------------------------------------------------------------- logs and waiting

  getContainerLogs(id: string, parsed: LogOptions): Promise<string> {
    return containerLogs(this.#ctx, id, parsed);
  }

  streamLogs(id: string, parsed: ParsedLogOptions, ctx: PrimitiveContext): AsyncIterable<LogLine> {
    return streamContainerLogs(this.#ctx, id, parsed, ctx.signal);
  }

  async waitContainer(id: string, options?: OperationOptions): Promise<WaitResult> {
    options?.signal?.throwIfAborted();
    const snapshot = await this.#ctx.catalog.require(id);
    // No deadline: it ends, or the signal aborts the wait.
    const ended = await this.#ctx.stopper.waitForEnd(
      snapshot.record.id,
      Number.POSITIVE_INFINITY,
      options?.signal,
      snapshot,
    );
    const exit = ended?.exit ?? ended?.snapshot?.exit;
    if (exit) return { exitCode: exit.exitCode, oomKilled: exit.oomKilled };
    if (!ended?.snapshot) throw new ContainerNotFoundError(id);
    // Created but never started, or lost without a record: nothing ran to completion.
    return { exitCode: ended.snapshot.status === 'dead' ? 255 : 0, oomKilled: false };
  }

  // ---------------------------------------------------------------- exec, stats, health

  async exec(
    id: string,
    argv: string[],
    options: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult> {
    const { signal } = ctx;
    refuseProgramName(argv[0] as string, ['command', 0]);
    const snapshot = await this.#ctx.catalog.require(id);
    requireRunning(snapshot, 'before exec');
    const user = await execUser(this.#ctx, snapshot, options);
    return this.#ctx.runIn(snapshot, argv, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(user ? { user } : {}),
      ...(options.timeout ? { timeoutMs: options.timeout } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  /** Put into the container as an exec is; its pipes handed over as they are (see processes/). */
  async spawn(
    id: string,
    argv: string[],
    options: ParsedSpawnOptions,
    ctx: PrimitiveContext,
  ): Promise<ProcessSource> {
    refuseProgramName(argv[0] as string, ['command', 0]);
    const snapshot = await this.#ctx.catalog.require(id);
    requireRunning(snapshot, 'before spawning in it');
    const user = await execUser(this.#ctx, snapshot, options);
    return this.#ctx.processes.spawn(
      snapshot,
      argv,
      {
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(user ? { user } : {}),
        stdin: options.stdin,
      },
      ctx.signal,
    );
  }

  async listProcesses(id: string): Promise<ProcessInfo[]> {
    const snapshot = await this.#ctx.catalog.require(id);
    return this.#ctx.processes.list(snapshot.record.id);
  }

  async attach(id: string, processId: string): Promise<ProcessSource> {
    const snapshot = await this.#ctx.catalog.require(id);
    return this.#ctx.processes.attach(snapshot.record.id, processId);
  }

  signalContainer(id: string, signal: ContainerSignal, ctx: PrimitiveContext): Promise<void> {
    return signalContainer(this.#ctx, id, signal, ctx.signal);
  }

  // Under the container's lock: a pause never races its start, stop or removal.
  async pauseContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    const key = await this.#ctx.catalog.lockKey(id);
    await this.#ctx.locks.run(key, () => pauseContainer(this.#ctx, key, ctx.signal));
  }

  async resumeContainer(id: string): Promise<void> {
    const key = await this.#ctx.catalog.lockKey(id);
    await this.#ctx.locks.run(key, () => resumeContainer(this.#ctx, key));
  }

  async getContainerStats(id: string, options?: OperationOptions): Promise<ContainerStats> {
    options?.signal?.throwIfAborted();
    const { host } = await this.#ctx.init();
    const snapshot = await this.#ctx.catalog.require(id);
    const memoryLimit = host.cgroups.enforced.memory
      ? snapshot.record.config.resources.memory
      : undefined;
    // A paused container's memory and processes are all still there: its stats are read as usual.
    if (!isLive(snapshot.status) || !snapshot.run) {
      return {
        cpuPercent: 0,
        memoryBytes: 0,
        memoryLimitBytes: memoryLimit === undefined ? 0 : memoryLimit * 1024 * 1024,
        pids: 0,
      };
    }
    const { run } = snapshot;
    const [stats, diskBytes] = await Promise.all([
      this.#ctx.sampler.stats(snapshot.record.id, run.meta.cgroup, run.pid, memoryLimit),
      treeBytes(this.#ctx.layout.workDir(snapshot.record.id)),
    ]);
    return diskBytes === undefined ? stats : { ...stats, diskBytes };
  }

  async isContainerHealthy(id: string, options?: OperationOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    const snapshot = await this.#ctx.catalog.require(id);
    if (snapshot.status !== 'running') return false;
    if (!snapshot.record.config.healthcheck) return true;
    return snapshot.health?.status === 'healthy';
  }

  async healthCheck(options?: OperationOptions): Promise<DriverHealth> {
    options?.signal?.throwIfAborted();
    return driverHealth(this.#ctx);
  }

  // ---------------------------------------------------------------- volumes and networks

  /** Volumes are directories under the state dir: one kind, named as Docker names its own. */
  volumeDrivers(): string[] {
    return ['local'];
  }

  async createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume> {
    await this.#ctx.init();
    // A size not enforced here reaches this point only under best-effort, listed as such;
    // `driver` can only be 'local' (volumeDrivers), and options were refused by the kit.
    const { sizeMb: _unenforced, driver: _local, options: _none, ...rest } = config;
    return this.#ctx.volumes.create({ ...rest, labels: { ...ctx.labels } });
  }

  async removeVolume(id: string, options?: OperationOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    return removeVolume(this.#ctx, id);
  }

  async listVolumes(options?: OperationOptions): Promise<Volume[]> {
    options?.signal?.throwIfAborted();
    await this.#ctx.init();
    return this.#ctx.volumes.list();
  }

  async createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network> {
    const { host } = await this.#ctx.init();
    return this.#ctx.networks.create(
      { ...config, labels: { ...ctx.labels } },
      host.networks.isolated,
    );
  }

  async removeNetwork(id: string, options?: OperationOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    return removeNetwork(this.#ctx, id);
  }

  async listNetworks(options?: OperationOptions): Promise<Network[]> {
    options?.signal?.throwIfAborted();
    await this.#ctx.init();
    return this.#ctx.networks.list();
  }

  // ---------------------------------------------------------------- lifecycle of the driver

  /**
   * Removes every container, volume and network of a session, even ones an earlier process
   * made; `{ all: true }` removes everything in the stateDir. Anything else is refused: an
   * empty filter, or a sessionId left undefined by mistake, must not mean "everything".
   */
  async cleanup(wanted: CleanupFilter): Promise<CleanupResult> {
    await this.#ctx.init();
    const result: CleanupResult = { containers: 0, volumes: 0, networks: 0 };
    const ofSession = (owner: { sessionId?: string | undefined; tenantId?: string | undefined }) =>
      cleanupMatches(wanted, owner);
    const containers = (await this.listContainers({})).filter((c) => ofSession(c));
    await Promise.all(
      containers.map(async (c) => {
        await this.removeContainer(c.id, { force: true, volumes: true });
        result.containers++;
      }),
    );
    for (const volume of await this.#ctx.volumes.list()) {
      if (ofSession(volume)) {
        await this.#ctx.volumes.remove(volume.id);
        result.volumes++;
      }
    }
    for (const network of await this.#ctx.networks.list()) {
      if (ofSession(network)) {
        await this.#ctx.networks.remove(network.id);
        result.networks++;
      }
    }
    return result;
  }

  /**
   * Stops health checks and lets idle supervisors go. Running containers keep running (their
   * supervisors outlive the driver) and a new driver on the same stateDir picks them up.
   */
  async close(): Promise<void> {
    const ctx = this.#ctx;
    ctx.health.stopAll();
    ctx.processes.close();
    // Warm sandboxes die with the driver; a created container that held one starts cold.
    const claimed = [...ctx.claimed.values()];
    ctx.claimed.clear();
    await Promise.all([...claimed.map((w) => ctx.warm.release(w)), ctx.warm.close()]);
    ctx.pool.close();
    ctx.spares.close();
    ctx.trash.close();
  }

  /** Starts the container's next run, and what watches it. The caller holds its lock. */
  async #launch(snapshot: ContainerSnapshot): Promise<void> {
    const run = await this.#ctx.launcher.launch(snapshot);
    const { record } = snapshot;
    this.#ctx.sampler.forget(record.id);
    if (record.config.healthcheck) {
      this.#ctx.health.watch(record, run.run, Date.parse(run.startedAt));
    }
  }
}
