import type {
  ContainerConfig,
  ContainerFilter,
  ContainerInstance,
  ContainerSignal,
  ContainerStats,
  DriverCapabilities,
  DriverHealth,
  ExecResult,
  FileInfo,
  LogLine,
  LogOptions,
  Network,
  NetworkConfig,
  ProcessInfo,
  Volume,
  VolumeConfig,
  WaitResult,
} from '@berth/core';
import {
  type CreateContext,
  type DriverPrimitives,
  KitDriver,
  type LifetimeSupport,
  MemoryLifetimeStore,
  type ParsedExecOptions,
  type ParsedLogOptions,
  type ParsedRemoveOptions,
  type ParsedSpawnOptions,
  type ParsedStopOptions,
  type PrimitiveContext,
  type ProcessSource,
} from '@berth/core/kit';
import { pauseContainer, resumeContainer, signalContainer } from '../containers/control.js';
import { createContainer } from '../containers/create.js';
import { isHealthy } from '../containers/health.js';
import {
  containerStats,
  removeContainer,
  restartContainer,
  startContainer,
  stopContainer,
  waitContainer,
} from '../containers/lifecycle.js';
import { driverHealth, getContainer, listContainers } from '../containers/queries.js';
import { systemClock } from '../determinism/clock.js';
import { downloadFiles, removeFiles, statFile, uploadFiles } from '../files/container-files.js';
import { containerLogs, rotateLogs, streamContainerLogs } from '../logs/container-logs.js';
import { execInContainer } from '../programs/exec.js';
import { attachToProcess, listContainerProcesses, spawnInContainer } from '../programs/spawn.js';
import { createNetwork, listNetworks, removeNetwork } from '../volumes-networks/networks.js';
import { createVolume, listVolumes, removeVolume } from '../volumes-networks/volumes.js';
import { MOCK_VERSION, type MockSettings, MockState } from './mock-state.js';

/**
 * The mock's simulated host as kit primitives: the contract in memory and nothing else (no
 * latency, faults or recording, which MockDriver puts around it as middleware). The kit checks
 * every input and decides enforcement, exactly as it does for the real drivers.
 */
class InMemoryEngine implements DriverPrimitives {
  readonly name: string;
  readonly version = MOCK_VERSION;
  /** Kept in memory and enforced in this process: the mock's containers end with it anyway. */
  readonly lifetimes: LifetimeSupport;

  constructor(readonly state: MockState) {
    this.name = state.name;
    // On real time the keeper's own clock, whose timers never keep the process alive.
    const { clock } = state.settings;
    this.lifetimes = {
      store: new MemoryLifetimeStore(),
      ...(clock === systemClock ? {} : { clock }),
    };
  }

  async capabilities(): Promise<DriverCapabilities> {
    return { ...this.state.settings.capabilities };
  }

  async createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance> {
    return createContainer(this.state, config, ctx);
  }

  async startContainer(id: string): Promise<void> {
    startContainer(this.state, id);
  }

  stopContainer(id: string, options: ParsedStopOptions): Promise<void> {
    return stopContainer(this.state, id, options);
  }

  async restartContainer(id: string, options: ParsedStopOptions): Promise<void> {
    return restartContainer(this.state, id, options);
  }

  async removeContainer(id: string, options: ParsedRemoveOptions): Promise<void> {
    removeContainer(this.state, id, options);
  }

  async getContainer(id: string): Promise<ContainerInstance | null> {
    return getContainer(this.state, id);
  }

  async listContainers(filter: ContainerFilter): Promise<ContainerInstance[]> {
    return listContainers(this.state, filter);
  }

  async getContainerLogs(id: string, options: LogOptions): Promise<string> {
    return containerLogs(this.state, id, options);
  }

  streamLogs(id: string, options: ParsedLogOptions, ctx: PrimitiveContext): AsyncIterable<LogLine> {
    return streamContainerLogs(this.state, id, { ...options, signal: ctx.signal });
  }

  waitContainer(id: string, ctx: PrimitiveContext): Promise<WaitResult> {
    return waitContainer(this.state, id, ctx.signal);
  }

  exec(
    id: string,
    command: string[],
    options: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult> {
    return execInContainer(this.state, id, command, { ...options, signal: ctx.signal });
  }

  async signalContainer(id: string, signal: ContainerSignal): Promise<void> {
    signalContainer(this.state, id, signal);
  }

  async pauseContainer(id: string): Promise<void> {
    pauseContainer(this.state, id);
  }

  async resumeContainer(id: string): Promise<void> {
    resumeContainer(this.state, id);
  }

  async spawn(id: string, command: string[], options: ParsedSpawnOptions): Promise<ProcessSource> {
    return spawnInContainer(this.state, id, command, options);
  }

  async listProcesses(id: string): Promise<ProcessInfo[]> {
    return listContainerProcesses(this.state, id);
  }

  async attach(id: string, processId: string): Promise<ProcessSource> {
    return attachToProcess(this.state, id, processId);
  }

  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    ownership: 'archive' | 'container',
  ): Promise<void> {
    return uploadFiles(this.state, id, path, tar, ownership);
  }

  download(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    return downloadFiles(this.state, id, path);
  }

  async stat(id: string, path: string): Promise<FileInfo | null> {
    return statFile(this.state, id, path);
  }

  async removeFile(
    id: string,
    path: string,
    options: { recursive: boolean; force: boolean },
  ): Promise<void> {
    removeFiles(this.state, id, path, options);
  }

  async getContainerStats(id: string): Promise<ContainerStats> {
    return containerStats(this.state, id);
  }

  async healthCheck(): Promise<DriverHealth> {
    return driverHealth(this.state, this.version);
  }

  async isContainerHealthy(id: string): Promise<boolean> {
    return isHealthy(this.state, id);
  }

  /** As the real drivers offer: `local` volumes; bridges on Docker, no network drivers on local. */
  volumeDrivers(): string[] {
    return ['local'];
  }

  networkDrivers(): string[] {
    return this.name === 'mock-docker' ? ['bridge'] : [];
  }

  async createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume> {
    return createVolume(this.state, config, ctx.labels);
  }

  async removeVolume(id: string): Promise<void> {
    removeVolume(this.state, id);
  }

  async listVolumes(): Promise<Volume[]> {
    return listVolumes(this.state);
  }

  async createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network> {
    return createNetwork(this.state, config, ctx.labels);
  }

  async removeNetwork(id: string): Promise<void> {
    removeNetwork(this.state, id);
  }

  async listNetworks(): Promise<Network[]> {
    return listNetworks(this.state);
  }

  /** Simulated runs stop: their timers would keep the process alive. */
  async close(): Promise<void> {
    for (const container of this.state.containers.values()) container.run?.abort();
  }
}

/** The simulated host as a full driver, built on the kit like the real ones. */
export class InMemoryDriver extends KitDriver {
  readonly #engine: InMemoryEngine;

  constructor(settings: MockSettings) {
    const engine = new InMemoryEngine(new MockState(settings));
    super(engine, {
      enforcement: settings.enforcement,
      allowRoot: settings.allowRoot,
      ...(settings.allowCapabilities ? { allowCapabilities: settings.allowCapabilities } : {}),
    });
    this.#engine = engine;
  }

  rotateLogs(id: string, keep: number): number {
    return rotateLogs(this.#engine.state, id, keep);
  }

  clear(): void {
    this.#engine.state.clear();
  }
}
