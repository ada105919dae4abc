import {
  CONTRACT_VERSION,
  type ContainerConfigInput,
  type ContainerDriver,
  type ContainerFilter,
  type ContainerInstance,
  type ContainerStats,
  callSignal,
  type DriverCapabilities,
  type DriverHealth,
  type ExecCallOptions,
  type ExecResult,
  type GetLogsOptions,
  type LogLine,
  type Network,
  type OperationOptions,
  type RemoveOptions,
  type StopOptions,
  type StreamLogsOptions,
  type Volume,
  type WaitResult,
} from '@berth/core';
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
import { containerLogs, rotateLogs, streamContainerLogs } from '../logs/container-logs.js';
import { execInContainer } from '../programs/exec.js';
import { createNetwork, listNetworks, removeNetwork } from '../volumes-networks/networks.js';
import { createVolume, listVolumes, removeVolume } from '../volumes-networks/volumes.js';
import { type MockSettings, MockState } from './mock-state.js';

/**
 * The mock's simulated host, the whole contract in memory and nothing else: no latency, no
 * faults, no recording. MockDriver puts those around it as middleware.
 */
export class InMemoryDriver implements ContainerDriver {
  readonly name: string;
  readonly version = '0.0.0';
  readonly contractVersion = CONTRACT_VERSION;
  readonly #state: MockState;

  constructor(settings: MockSettings) {
    this.#state = new MockState(settings);
    this.name = this.#state.name;
  }

  rotateLogs(id: string, keep: number): number {
    return rotateLogs(this.#state, id, keep);
  }

  clear(): void {
    this.#state.clear();
  }

  // Async and checking the signal first, as a real driver would: an aborted call does nothing.
  async #run<T>(signal: AbortSignal | undefined, body: () => T | Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    return body();
  }

  createContainer(
    input: ContainerConfigInput,
    options: OperationOptions = {},
  ): Promise<ContainerInstance> {
    return this.#run(options.signal, () => createContainer(this.#state, input));
  }

  startContainer(id: string, options: OperationOptions = {}): Promise<void> {
    return this.#run(options.signal, () => startContainer(this.#state, id));
  }

  stopContainer(id: string, options: StopOptions = {}): Promise<void> {
    return this.#run(options.signal, () => stopContainer(this.#state, id, options));
  }

  restartContainer(id: string, options: StopOptions = {}): Promise<void> {
    return this.#run(options.signal, () => restartContainer(this.#state, id, options));
  }

  removeContainer(id: string, options: RemoveOptions = {}): Promise<void> {
    return this.#run(options.signal, () => removeContainer(this.#state, id, options));
  }

  getContainer(id: string, options: OperationOptions = {}): Promise<ContainerInstance | null> {
    return this.#run(options.signal, () => getContainer(this.#state, id));
  }

  listContainers(
    filter: ContainerFilter = {},
    options: OperationOptions = {},
  ): Promise<ContainerInstance[]> {
    return this.#run(options.signal, () => listContainers(this.#state, filter));
  }

  getContainerLogs(id: string, options: GetLogsOptions = {}): Promise<string> {
    return this.#run(options.signal, () => containerLogs(this.#state, id, options));
  }

  streamLogs(id: string, options: StreamLogsOptions = {}): AsyncIterable<LogLine> {
    // Nothing happens until iteration starts, and each iteration reads afresh.
    return { [Symbol.asyncIterator]: () => streamContainerLogs(this.#state, id, options) };
  }

  waitContainer(id: string, options: OperationOptions = {}): Promise<WaitResult> {
    return this.#run(options.signal, () => waitContainer(this.#state, id, options.signal));
  }

  async exec(id: string, command: string[], options: ExecCallOptions = {}): Promise<ExecResult> {
    const signal = callSignal(options, 'exec options');
    return this.#run(signal, () => execInContainer(this.#state, id, command, options));
  }

  getContainerStats(id: string, options: OperationOptions = {}): Promise<ContainerStats> {
    return this.#run(options.signal, () => containerStats(this.#state, id));
  }

  healthCheck(options: OperationOptions = {}): Promise<DriverHealth> {
    return this.#run(options.signal, () => driverHealth(this.#state, this.version));
  }

  isContainerHealthy(id: string, options: OperationOptions = {}): Promise<boolean> {
    return this.#run(options.signal, () => isHealthy(this.#state, id));
  }

  createVolume(
    input: Parameters<ContainerDriver['createVolume']>[0],
    options: OperationOptions = {},
  ): Promise<Volume> {
    return this.#run(options.signal, () => createVolume(this.#state, input));
  }

  removeVolume(id: string, options: OperationOptions = {}): Promise<void> {
    return this.#run(options.signal, () => removeVolume(this.#state, id));
  }

  listVolumes(options: OperationOptions = {}): Promise<Volume[]> {
    return this.#run(options.signal, () => listVolumes(this.#state));
  }

  createNetwork(
    input: Parameters<ContainerDriver['createNetwork']>[0],
    options: OperationOptions = {},
  ): Promise<Network> {
    return this.#run(options.signal, () => createNetwork(this.#state, input));
  }

  removeNetwork(id: string, options: OperationOptions = {}): Promise<void> {
    return this.#run(options.signal, () => removeNetwork(this.#state, id));
  }

  listNetworks(options: OperationOptions = {}): Promise<Network[]> {
    return this.#run(options.signal, () => listNetworks(this.#state));
  }

  capabilities(options: OperationOptions = {}): Promise<DriverCapabilities> {
    return this.#run(options.signal, () => ({ ...this.#state.settings.capabilities }));
  }
}
