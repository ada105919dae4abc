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
  LifetimeSupport,
  ParsedExecOptions,
  ParsedLogOptions,
  ParsedRemoveOptions,
  ParsedSpawnOptions,
  ParsedStopOptions,
  PrimitiveCapabilities,
  PrimitiveContext,
  ProcessSource,
} from '@berth/core/kit';
import { cleanup } from '../cleanup/session-cleanup.js';
import { pauseContainer, resumeContainer, signalContainer } from '../containers/control.js';
import { createContainer } from '../containers/create.js';
import { exec } from '../containers/exec.js';
import {
  removeContainer,
  restartContainer,
  startContainer,
  stopContainer,
  waitContainer,
} from '../containers/lifecycle.js';
import {
  getContainer,
  getContainerStats,
  isContainerHealthy,
  listContainers,
} from '../containers/queries.js';
import type { DockerDriverOptions, LogBuffers } from '../docker-driver.js';
import { download as downloadFiles, listFiles, readFile, stat } from '../files/read.js';
import { removeFile } from '../files/remove.js';
import { upload } from '../files/upload.js';
import { makeDir, writeFile } from '../files/write.js';
import { DRIVER_NAME, DRIVER_VERSION } from '../identity.js';
import { dockerLifetimes } from '../lifetime/lifetimes.js';
import { getContainerLogBuffers, getContainerLogs, streamLogs } from '../logs/container-logs.js';
import { containerIssues, networkIssues, volumeIssues } from '../policy/config-checks.js';
import { attach, listProcesses } from '../processes/find.js';
import { spawn } from '../processes/spawn.js';
import { createNetwork, listNetworks, removeNetwork } from '../volumes-networks/networks.js';
import { createVolume, listVolumes, removeVolume } from '../volumes-networks/volumes.js';
import { CapabilitiesProbe } from './capabilities-probe.js';
import { healthCheck } from './health.js';
import { EngineSession } from './session.js';

/**
 * The Docker driver's primitives: what the kit (KitDriver) cannot do for it, each handed to the
 * module of its concern with the driver's engine session.
 *
 * The driver keeps no state of its own: everything it makes carries `berth.*` labels and is
 * read back from the engine, so another instance or a restarted process sees and controls it.
 * It only ever acts on objects carrying those labels; anything else on the engine is, to the
 * driver, not there.
 */
export class DockerEngine implements DriverPrimitives {
  readonly name = DRIVER_NAME;
  readonly version = DRIVER_VERSION;

  readonly #session: EngineSession;
  readonly #probe: CapabilitiesProbe;
  readonly #allowRoot: boolean;

  readonly lifetimes: LifetimeSupport | undefined;
  readonly #lifetimesReason: string | undefined;

  /** `owner`: whose containers it acts on (see EngineSession.owner); the Docker driver's own. */
  constructor(options: DockerDriverOptions = {}, owner?: string) {
    const lifetimes = dockerLifetimes(options);
    this.lifetimes = lifetimes.support;
    this.#lifetimesReason = lifetimes.support ? undefined : lifetimes.reason;
    this.#session = new EngineSession(options, owner);
    this.#probe = new CapabilitiesProbe(this.#session);
    this.#allowRoot = options.allowRoot === true;
  }

  capabilities(ctx: PrimitiveContext): Promise<PrimitiveCapabilities> {
    return this.#probe.capabilities(ctx);
  }

  volumeDrivers(ctx: PrimitiveContext): Promise<string[]> {
    return this.#probe.volumeDrivers(ctx);
  }

  /**
   * Only bridges: the isolation probe checks bridges, and macvlan or ipvlan would put containers
   * on the host's own network segment.
   */
  networkDrivers(): string[] {
    return ['bridge'];
  }

  checkVolume(config: VolumeConfig): ValidationIssue[] {
    return volumeIssues(config);
  }

  checkNetwork(config: NetworkConfig): ValidationIssue[] {
    return networkIssues(config);
  }

  unenforcedReason(feature: string): string | undefined {
    if (feature === 'lifetimes') return this.#lifetimesReason;
    return this.#probe.unenforcedReason(feature);
  }

  checkContainer(config: ContainerConfig, ctx: PrimitiveContext): Promise<ValidationIssue[]> {
    return containerIssues(this.#session, config, ctx);
  }

  async createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance> {
    return createContainer(this.#session, config, ctx, await this.capabilities(ctx));
  }

  startContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    return startContainer(this.#session, id, ctx);
  }

  stopContainer(id: string, options: ParsedStopOptions, ctx: PrimitiveContext): Promise<void> {
    return stopContainer(this.#session, id, options, ctx);
  }

  restartContainer(id: string, options: ParsedStopOptions, ctx: PrimitiveContext): Promise<void> {
    return restartContainer(this.#session, id, options, ctx);
  }

  removeContainer(id: string, options: ParsedRemoveOptions, ctx: PrimitiveContext): Promise<void> {
    return removeContainer(this.#session, id, options, ctx);
  }

  getContainer(id: string, ctx: PrimitiveContext): Promise<ContainerInstance | null> {
    return getContainer(this.#session, id, ctx);
  }

  listContainers(filter: ContainerFilter, ctx: PrimitiveContext): Promise<ContainerInstance[]> {
    return listContainers(this.#session, filter, ctx);
  }

  getContainerLogs(id: string, options: LogOptions, ctx: PrimitiveContext): Promise<string> {
    return getContainerLogs(this.#session, id, options, ctx);
  }

  getContainerLogBuffers(
    id: string,
    options: LogOptions,
    ctx: PrimitiveContext,
  ): Promise<LogBuffers> {
    return getContainerLogBuffers(this.#session, id, options, ctx);
  }

  streamLogs(
    id: string,
    options: ParsedLogOptions,
    ctx: PrimitiveContext,
  ): AsyncGenerator<LogLine> {
    return streamLogs(this.#session, id, options, ctx);
  }

  waitContainer(id: string, ctx: PrimitiveContext): Promise<WaitResult> {
    return waitContainer(this.#session, id, ctx);
  }

  exec(
    id: string,
    command: string[],
    options: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult> {
    return exec(this.#session, id, command, options, ctx);
  }

  signalContainer(id: string, signal: ContainerSignal, ctx: PrimitiveContext): Promise<void> {
    return signalContainer(this.#session, id, signal, ctx);
  }

  pauseContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    return pauseContainer(this.#session, id, ctx);
  }

  resumeContainer(id: string, ctx: PrimitiveContext): Promise<void> {
    return resumeContainer(this.#session, id, ctx);
  }

  spawn(
    id: string,
    command: string[],
    options: ParsedSpawnOptions,
    ctx: PrimitiveContext,
  ): Promise<ProcessSource> {
    return spawn(this.#session, id, command, options, ctx);
  }

  listProcesses(id: string, ctx: PrimitiveContext): Promise<ProcessInfo[]> {
    return listProcesses(this.#session, id, ctx);
  }

  attach(id: string, processId: string, ctx: PrimitiveContext): Promise<ProcessSource> {
    return attach(this.#session, id, processId, ctx);
  }

  getContainerStats(id: string, ctx: PrimitiveContext): Promise<ContainerStats> {
    return getContainerStats(this.#session, id, ctx);
  }

  healthCheck(ctx: PrimitiveContext): Promise<DriverHealth> {
    return healthCheck(this.#session, ctx);
  }

  isContainerHealthy(id: string, ctx: PrimitiveContext): Promise<boolean> {
    return isContainerHealthy(this.#session, id, ctx);
  }

  createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume> {
    return createVolume(this.#session, config, ctx);
  }

  removeVolume(id: string, ctx: PrimitiveContext): Promise<void> {
    return removeVolume(this.#session, id, ctx);
  }

  listVolumes(ctx: PrimitiveContext): Promise<Volume[]> {
    return listVolumes(this.#session, ctx);
  }

  createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network> {
    return createNetwork(this.#session, config, ctx);
  }

  removeNetwork(id: string, ctx: PrimitiveContext): Promise<void> {
    return removeNetwork(this.#session, id, ctx);
  }

  listNetworks(ctx: PrimitiveContext): Promise<Network[]> {
    return listNetworks(this.#session, ctx);
  }

  cleanup(filter: CleanupFilter, ctx: PrimitiveContext): Promise<CleanupResult> {
    return cleanup(this.#session, filter, ctx);
  }

  // Files, through the engine's archive endpoint (files/).
  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    ownership: 'archive' | 'container',
    ctx: PrimitiveContext,
  ): Promise<void> {
    return upload(this.#session, id, path, tar, ownership, ctx);
  }

  download(id: string, path: string, ctx: PrimitiveContext): Promise<AsyncIterable<Uint8Array>> {
    return downloadFiles(this.#session, id, path, ctx);
  }

  stat(id: string, path: string, ctx: PrimitiveContext): Promise<FileInfo | null> {
    return stat(this.#session, id, path, ctx);
  }

  writeFile(
    id: string,
    path: string,
    data: AsyncIterable<Uint8Array>,
    options: { mode: number; owner?: { uid: number; gid: number } },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return writeFile(this.#session, id, path, data, options, ctx);
  }

  readFile(id: string, path: string, ctx: PrimitiveContext): Promise<AsyncIterable<Uint8Array>> {
    return readFile(this.#session, id, path, ctx);
  }

  listFiles(id: string, path: string, ctx: PrimitiveContext): Promise<FileInfo[]> {
    return listFiles(this.#session, id, path, ctx);
  }

  removeFile(
    id: string,
    path: string,
    options: { recursive: boolean; force: boolean },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return removeFile(this.#session, id, path, options, this.#allowRoot, ctx);
  }

  makeDir(
    id: string,
    path: string,
    options: { mode: number; owner?: { uid: number; gid: number }; parents: boolean },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return makeDir(this.#session, id, path, options, ctx);
  }
}
