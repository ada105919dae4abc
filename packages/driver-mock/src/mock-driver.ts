import {
  type CleanupFilter,
  type CleanupResult,
  CONTRACT_VERSION,
  ConflictError,
  type ContainerConfig,
  type ContainerConfigInput,
  type ContainerDriver,
  type ContainerFilter,
  ContainerFilterSchema,
  type ContainerInstance,
  ContainerNotFoundError,
  ContainerRemoveError,
  ContainerStartError,
  type ContainerStats,
  callSignal,
  checkEnforcement,
  type DriverCapabilities,
  type DriverHealth,
  type DriverOperation,
  type EnforcementMode,
  type ExecCallOptions,
  type ExecResult,
  formatLogLines,
  type GetLogsOptions,
  isObjectId,
  type LogLine,
  LogLinesLostError,
  matchesContainerFilter,
  type Network,
  NetworkConfigSchema,
  NetworkNotFoundError,
  NetworkRemoveError,
  type OperationOptions,
  type PublishedPort,
  parseContainerConfig,
  parseExecCommand,
  parseExecOptions,
  parseInput,
  parseLogOptions,
  type RemoveOptions,
  ResourceLimitError,
  requireObjectId,
  type StopOptions,
  type StreamLogsOptions,
  selectLogLines,
  TimeoutError,
  type Volume,
  VolumeConfigSchema,
  VolumeNotFoundError,
  VolumeRemoveError,
  type WaitResult,
} from '@berth/core';
import {
  cleanupMatches,
  networkEnforcement,
  parseCleanupFilter,
  volumeEnforcement,
} from '@berth/core/kit';
import { type MockClock, systemClock } from './clock.js';
import { FaultInjector } from './faults.js';
import type { MockProfile } from './profiles.js';
import {
  CommandNotFound,
  interpretCommand,
  type Plan,
  type ProgramSource,
  planFor,
} from './program.js';
import { SeededRandom } from './seeded-random.js';

export type MockTiming = 'instant' | 'realistic' | { minMs: number; maxMs: number };

export interface MockDriverOptions {
  /** Latency per operation: none (default), the driver's realistic range, or your own. */
  timing?: MockTiming;
  /** Seeds ids, latencies and failure rates, so a run repeats exactly. */
  seed?: number;
  /** Time source; pass a ManualClock to drive the mock with fake time. */
  clock?: MockClock;
  /** `strict` (default) refuses what the simulated host cannot enforce. */
  enforcement?: EnforcementMode;
  /** Simulates a weaker host: these capabilities override the default (everything enforced). */
  capabilities?: Partial<DriverCapabilities>;
  /** What containers do, per image or per command (see MockProgram). */
  programs?: ProgramSource;
  /** Dangerous capabilities accepted in `security.capabilities.add`. */
  allowCapabilities?: string[];
  /**
   * DANGEROUS on a real driver: accept uid 0 or gid 0 (`'0:0'`, `'root'`, `'1000:0'`, …) in
   * `security.user` and the exec `user`, refused by default as the real drivers refuse it.
   */
  allowRoot?: boolean;
}

/** One recorded call. */
export interface MockCall {
  operation: DriverOperation;
  args: unknown[];
  outcome: 'pending' | 'success' | 'error';
  error?: unknown;
  at: Date;
}

interface MockContainer {
  instance: ContainerInstance;
  config: ContainerConfig;
  plan: Plan;
  logs: LogLine[];
  /** Lines dropped from the front of `logs` by rotateLogs: absolute index of `logs[0]`. */
  logBase: number;
  /** Woken on every new log line and state change. */
  watchers: Set<() => void>;
  /** Aborts the current run's pending sleeps when it is stopped or killed. */
  run?: AbortController;
  healthProbe: number;
  failedProbes: number;
  oomKilled: boolean;
}

const MB = 1024 * 1024;

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The in-memory driver behind MockDockerDriver and MockLocalDriver. */
export class MockDriver implements ContainerDriver {
  readonly name: string;
  readonly version = '0.0.0';
  readonly contractVersion = CONTRACT_VERSION;
  /** Every call made, in order, with its outcome. */
  readonly calls: MockCall[] = [];
  readonly faults: FaultInjector;

  readonly #profile: MockProfile;
  readonly #clock: MockClock;
  readonly #timing: { min: number; max: number } | undefined;
  readonly #timingRandom: SeededRandom;
  readonly #idRandom: SeededRandom;
  readonly #enforcement: EnforcementMode;
  readonly #capabilities: DriverCapabilities;
  readonly #programs: ProgramSource | undefined;
  readonly #allowCapabilities: string[] | undefined;
  readonly #allowRoot: boolean;
  readonly #startedAt: number;
  #containers = new Map<string, MockContainer>();
  #volumes = new Map<string, Volume>();
  #networks = new Map<string, Network>();
  #nextPort = 32768;

  constructor(profile: MockProfile, options: MockDriverOptions = {}) {
    this.#profile = profile;
    this.name = profile.name;
    this.#clock = options.clock ?? systemClock;
    const seed = options.seed ?? 1;
    this.#timingRandom = new SeededRandom(seed);
    this.#idRandom = new SeededRandom(seed ^ 0x5bd1e995);
    this.faults = new FaultInjector(new SeededRandom(seed ^ 0x27d4eb2d));
    const timing = options.timing ?? 'instant';
    this.#timing =
      timing === 'instant'
        ? undefined
        : timing === 'realistic'
          ? profile.realisticMs
          : { min: timing.minMs, max: timing.maxMs };
    this.#enforcement = options.enforcement ?? 'strict';
    this.#capabilities = { ...profile.capabilities, ...options.capabilities };
    this.#programs = options.programs;
    this.#allowCapabilities = options.allowCapabilities;
    this.#allowRoot = options.allowRoot === true;
    this.#startedAt = this.#clock.now();
  }

  /**
   * Drops all but the last `keep` lines of a container's log, as an engine's log rotation does,
   * so tests can see how their code handles a follower that fell behind: a follow that had not
   * read the dropped lines throws LogLinesLostError. Returns how many lines were dropped.
   */
  rotateLogs(id: string, keep = 0): number {
    const container = this.#get(id);
    const dropped = Math.max(0, container.logs.length - Math.max(0, Math.floor(keep)));
    container.logs.splice(0, dropped);
    container.logBase += dropped;
    this.#notify(container);
    return dropped;
  }

  /** Forgets every container, volume, network, recorded call and fault. */
  reset(): void {
    for (const container of this.#containers.values()) container.run?.abort();
    this.#containers.clear();
    this.#volumes.clear();
    this.#networks.clear();
    this.calls.length = 0;
    this.faults.clear();
  }

  async #op<T>(
    operation: DriverOperation,
    args: unknown[],
    signal: AbortSignal | undefined,
    body: () => T | Promise<T>,
  ): Promise<T> {
    const call: MockCall = { operation, args, outcome: 'pending', at: new Date(this.#clock.now()) };
    this.calls.push(call);
    try {
      signal?.throwIfAborted();
      if (this.faults.isDown) throw this.faults.take(operation, 'before', this.name);
      if (this.#timing) {
        const { min, max } = this.#timing;
        await this.#clock.sleep(this.#timingRandom.between(min, max), signal);
      }
      const before = this.faults.take(operation, 'before', this.name);
      if (before) throw before;
      const result = await body();
      const after = this.faults.take(operation, 'after', this.name);
      if (after) throw after;
      call.outcome = 'success';
      return result;
    } catch (error) {
      call.outcome = 'error';
      call.error = error;
      throw error;
    }
  }

  /**
   * The container `id` names. What cannot be an id is not found for a call that only reads,
   * and a ConfigurationError for one that would change something, as on the real drivers.
   */
  #get(id: string, change = false): MockContainer {
    if (!isObjectId(id)) {
      if (change) requireObjectId(id, 'container');
      throw new ContainerNotFoundError(id);
    }
    const container = this.#containers.get(id) ?? this.#byName(id);
    if (!container) throw new ContainerNotFoundError(id);
    return container;
  }

  #byName(name: string): MockContainer | undefined {
    for (const container of this.#containers.values()) {
      if (container.instance.name === name) return container;
    }
    return undefined;
  }

  #notify(container: MockContainer): void {
    for (const wake of [...container.watchers]) wake();
  }

  /** Resolves on the container's next change; rejects when the signal aborts. */
  #changed(container: MockContainer, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        container.watchers.delete(wake);
        reject(signal?.reason);
      };
      const wake = () => {
        container.watchers.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      container.watchers.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #log(container: MockContainer, stream: 'stdout' | 'stderr', line: string): void {
    container.logs.push({ stream, line, timestamp: new Date(this.#clock.now()) });
    this.#notify(container);
  }

  #finish(container: MockContainer, exitCode: number, how: 'exited' | 'stopped' | 'oom'): void {
    container.run?.abort();
    container.run = undefined;
    const { instance } = container;
    instance.status = how === 'stopped' ? this.#profile.stoppedStatus : 'exited';
    instance.state = 'terminated';
    instance.exitCode = exitCode;
    instance.finishedAt = new Date(this.#clock.now());
    container.oomKilled = how === 'oom';
    if (instance.health) instance.health = 'unhealthy';
    this.#notify(container);
  }

  async #execute(container: MockContainer, run: AbortController): Promise<void> {
    const { program } = container.plan;
    if (program.memoryMb !== undefined && program.memoryMb > container.config.resources.memory) {
      this.#log(container, 'stderr', 'Killed');
      this.#finish(container, 137, 'oom');
      return;
    }
    for (const step of container.plan.steps) {
      if (run.signal.aborted) return;
      if (step.kind === 'out') this.#log(container, step.stream, step.text);
      else if (step.kind === 'sleep') {
        try {
          await this.#clock.sleep(step.ms, run.signal);
        } catch {
          return;
        }
      } else {
        this.#finish(container, step.code, 'exited');
        return;
      }
    }
  }

  #start(container: MockContainer): void {
    const { instance } = container;
    container.run?.abort();
    const run = new AbortController();
    container.run = run;
    instance.status = 'running';
    instance.state = 'running';
    instance.startedAt = new Date(this.#clock.now());
    instance.finishedAt = undefined;
    instance.exitCode = undefined;
    container.oomKilled = false;
    container.healthProbe = 0;
    container.failedProbes = 0;
    this.#notify(container);
    void this.#execute(container, run);
    if (container.config.healthcheck || container.plan.program.health) {
      instance.health = 'starting';
      void this.#probeHealth(container, run);
    }
  }

  /** One health probe: the declared sequence's next value, else the healthcheck command's exit. */
  #probe(container: MockContainer): boolean {
    const { plan, config } = container;
    const sequence = plan.program.health;
    if (sequence && sequence.length > 0) {
      return sequence[Math.min(container.healthProbe++, sequence.length - 1)] as boolean;
    }
    if (!config.healthcheck) return true;
    try {
      const steps = interpretCommand(config.healthcheck.command, config.env, '/');
      const exit = steps.find((s) => s.kind === 'exit');
      return exit?.kind === 'exit' && exit.code === 0;
    } catch {
      return false;
    }
  }

  /**
   * Probes at once, then every interval while this run lasts; `retries` failures in a row make
   * it unhealthy, as with Docker. (Docker waits one interval before the first probe; the mock
   * does not, so tests need not wait.)
   */
  async #probeHealth(container: MockContainer, run: AbortController): Promise<void> {
    const check = container.config.healthcheck;
    const retries = Math.max(1, check?.retries ?? 1);
    while (!run.signal.aborted) {
      if (this.#probe(container)) {
        container.failedProbes = 0;
        container.instance.health = 'healthy';
      } else if (++container.failedProbes >= retries) {
        container.instance.health = 'unhealthy';
      }
      try {
        await this.#clock.sleep(check?.intervalMs ?? 30_000, run.signal);
      } catch {
        return;
      }
    }
  }

  async #stop(container: MockContainer, options: StopOptions = {}): Promise<void> {
    const { instance } = container;
    if (instance.status !== 'running') return;
    if (options.force) {
      this.#finish(container, 137, 'stopped');
      return;
    }
    const timeoutMs = (options.timeout ?? 10) * 1000;
    const graceMs = container.plan.program.stopGraceMs ?? 0;
    if (graceMs > timeoutMs) {
      // Both real drivers send SIGKILL once the timeout has passed.
      await this.#clock.sleep(timeoutMs, options.signal);
      this.#finish(container, 137, 'stopped');
      return;
    }
    if (graceMs > 0) await this.#clock.sleep(graceMs, options.signal);
    if (instance.status === 'running') this.#finish(container, 143, 'stopped');
  }

  #allocatePorts(config: ContainerConfig): PublishedPort[] {
    const taken = new Set<number>();
    for (const other of this.#containers.values()) {
      for (const port of other.instance.ports) taken.add(port.host);
    }
    return config.ports.map((port) => {
      let host = port.host ?? 0;
      if (host === 0) {
        while (taken.has(this.#nextPort)) this.#nextPort++;
        host = this.#nextPort++;
      } else if (taken.has(host)) {
        throw new ConflictError(
          `Bind for ${port.hostIp}:${host} failed: port is already allocated`,
        );
      }
      taken.add(host);
      return { container: port.container, host, hostIp: port.hostIp, protocol: port.protocol };
    });
  }

  #network(idOrName: string): Network | undefined {
    return (
      this.#networks.get(idOrName) ?? [...this.#networks.values()].find((n) => n.name === idOrName)
    );
  }

  createContainer(
    input: ContainerConfigInput,
    options: OperationOptions = {},
  ): Promise<ContainerInstance> {
    return this.#op('createContainer', [input, options], options.signal, () => {
      const config = parseContainerConfig(input, {
        ...(this.#allowCapabilities ? { allowCapabilities: this.#allowCapabilities } : {}),
        allowRoot: this.#allowRoot,
      });
      if (config.resources.cpu > this.#profile.maxCpu) {
        throw new ResourceLimitError('cpu', this.#profile.maxCpu, config.resources.cpu);
      }
      const unenforced = checkEnforcement(config, this.#capabilities, this.#enforcement, this.name);
      const id = this.#profile.newId((n) => this.#idRandom.hex(n));
      const name = config.name ?? this.#profile.defaultName(id);
      const holder = this.#byName(name);
      if (holder) {
        throw new ConflictError(this.#profile.nameConflictMessage(name, holder.instance.id));
      }
      if (config.network !== undefined && !this.#network(config.network)) {
        throw new NetworkNotFoundError(config.network);
      }
      const missing = config.volumes.filter(
        (v) => v.type === 'volume' && !this.#volumes.has(v.source),
      );
      const ports = this.#allocatePorts(config);
      for (const mount of missing)
        this.#addVolume(mount.source, config.sessionId, config.tenantId, {});

      const labels: Record<string, string> = {
        ...config.labels,
        'berth.session': config.sessionId,
        'berth.driver': this.name,
        ...(config.tenantId ? { 'berth.tenant': config.tenantId } : {}),
      };
      const first = ports[0];
      const instance: ContainerInstance = {
        id,
        name,
        sessionId: config.sessionId,
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
        image: config.image,
        status: 'created',
        state: 'terminated',
        endpoint: first ? `${first.hostIp}:${first.host}` : null,
        ports,
        createdAt: new Date(this.#clock.now()),
        labels,
        resources: config.resources,
        driver: this.name,
        ...(unenforced.length > 0 ? { unenforced } : {}),
      };
      this.#containers.set(id, {
        instance,
        config,
        plan: planFor(config, this.#programs),
        logs: [],
        logBase: 0,
        watchers: new Set(),
        healthProbe: 0,
        failedProbes: 0,
        oomKilled: false,
      });
      return copy(instance);
    });
  }

  startContainer(id: string, options: OperationOptions = {}): Promise<void> {
    return this.#op('startContainer', [id, options], options.signal, () => {
      const container = this.#get(id, true);
      if (container.instance.status === 'running') return;
      if (container.plan.notFound !== undefined) {
        throw new ContainerStartError(
          container.instance.id,
          `exec: "${container.plan.notFound}": executable file not found in $PATH`,
          { retryable: false },
        );
      }
      this.#start(container);
    });
  }

  stopContainer(id: string, options: StopOptions = {}): Promise<void> {
    return this.#op('stopContainer', [id, options], options.signal, () =>
      this.#stop(this.#get(id, true), options),
    );
  }

  restartContainer(id: string, options: StopOptions = {}): Promise<void> {
    return this.#op('restartContainer', [id, options], options.signal, async () => {
      const container = this.#get(id, true);
      await this.#stop(container, options);
      this.#start(container);
    });
  }

  removeContainer(id: string, options: RemoveOptions = {}): Promise<void> {
    return this.#op('removeContainer', [id, options], options.signal, () => {
      const container = this.#get(id, true);
      if (container.instance.status === 'running') {
        if (!options.force) {
          throw new ContainerRemoveError(
            container.instance.id,
            this.#profile.runningRemoveMessage(container.instance.id),
          );
        }
        this.#finish(container, 137, 'stopped');
      }
      container.instance.status = 'removing';
      this.#containers.delete(container.instance.id);
      this.#notify(container);
    });
  }

  getContainer(id: string, options: OperationOptions = {}): Promise<ContainerInstance | null> {
    return this.#op('getContainer', [id, options], options.signal, () => {
      if (!isObjectId(id)) return null;
      const container = this.#containers.get(id) ?? this.#byName(id);
      return container ? copy(container.instance) : null;
    });
  }

  listContainers(
    filter: ContainerFilter = {},
    options: OperationOptions = {},
  ): Promise<ContainerInstance[]> {
    return this.#op('listContainers', [filter, options], options.signal, () => {
      const wanted = parseInput(ContainerFilterSchema, filter, 'container filter');
      return [...this.#containers.values()]
        .map((c) => c.instance)
        .filter((instance) => matchesContainerFilter(instance, wanted))
        .map(copy);
    });
  }

  getContainerLogs(id: string, options: GetLogsOptions = {}): Promise<string> {
    return this.#op('getContainerLogs', [id, options], options.signal, () => {
      parseLogOptions(options);
      return formatLogLines(selectLogLines(this.#get(id).logs, options), options.timestamps);
    });
  }

  streamLogs(id: string, options: StreamLogsOptions = {}): AsyncIterable<LogLine> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const container = await self.#op('streamLogs', [id, options], options.signal, () => {
          parseLogOptions(options);
          return self.#get(id);
        });
        const backlog = selectLogLines(container.logs, options);
        // Absolute line numbers, taken before the backlog is handed out (lines may come
        // meanwhile), so lines rotated away under the follower are noticed.
        let seen = container.logBase + container.logs.length;
        let last: Date | undefined;
        for (const line of backlog) {
          last = line.timestamp;
          yield copy(line);
        }
        if (!options.follow) return;
        const wanted = (line: LogLine) =>
          line.stream === 'stdout' ? options.stdout !== false : options.stderr !== false;
        for (;;) {
          if (seen < container.logBase) {
            throw new LogLinesLostError(
              id,
              last,
              container.logs[0]?.timestamp,
              'the mock rotated its log (rotateLogs) before the follower read it',
            );
          }
          while (seen < container.logBase + container.logs.length) {
            const line = container.logs[seen++ - container.logBase] as LogLine;
            if (wanted(line)) {
              last = line.timestamp;
              yield copy(line);
            }
            if (seen < container.logBase) break;
          }
          if (seen < container.logBase) continue;
          const { status } = container.instance;
          if (status !== 'running' && status !== 'created') return;
          try {
            await self.#changed(container, options.signal);
          } catch {
            return;
          }
        }
      },
    };
  }

  waitContainer(id: string, options: OperationOptions = {}): Promise<WaitResult> {
    return this.#op('waitContainer', [id, options], options.signal, async () => {
      const container = this.#get(id);
      while (container.instance.status === 'running' || container.instance.status === 'created') {
        await this.#changed(container, options.signal);
        if (
          !this.#containers.has(container.instance.id) &&
          container.instance.exitCode === undefined
        ) {
          throw new ContainerNotFoundError(id);
        }
      }
      return { exitCode: container.instance.exitCode ?? -1, oomKilled: container.oomKilled };
    });
  }

  async exec(id: string, command: string[], options: ExecCallOptions = {}): Promise<ExecResult> {
    const signal = callSignal(options, 'exec options');
    return this.#op('exec', [id, command, options], signal, async () => {
      const argv = parseExecCommand(command);
      const checked = parseExecOptions(options, { allowRoot: this.#allowRoot });
      const container = this.#get(id, true);
      if (container.instance.status !== 'running') {
        throw new ConflictError(this.#profile.notRunningMessage(container.instance.id));
      }
      const declared = container.plan.program.exec?.[argv.join(' ')];
      if (declared) return { exitCode: 0, stdout: '', stderr: '', ...declared };
      const env = { ...container.config.env, ...checked.env };
      const cwd = checked.cwd ?? container.config.workingDir ?? '/';
      let steps: ReturnType<typeof interpretCommand>;
      try {
        steps = interpretCommand(argv, env, cwd);
      } catch (error) {
        if (error instanceof CommandNotFound)
          return { exitCode: 127, stdout: '', stderr: `${error.message}\n` };
        throw error;
      }
      const out = { stdout: '', stderr: '' };
      let elapsed = 0;
      for (const step of steps) {
        if (step.kind === 'out') out[step.stream] += `${step.text}\n`;
        else if (step.kind === 'sleep') {
          if (checked.timeout !== undefined && elapsed + step.ms > checked.timeout) {
            await this.#clock.sleep(checked.timeout - elapsed, options.signal);
            throw new TimeoutError('exec', checked.timeout);
          }
          elapsed += step.ms;
          await this.#clock.sleep(step.ms, options.signal);
        } else return { exitCode: step.code, ...out };
      }
      return { exitCode: 0, ...out };
    });
  }

  getContainerStats(id: string, options: OperationOptions = {}): Promise<ContainerStats> {
    return this.#op('getContainerStats', [id, options], options.signal, () => {
      const { instance, plan } = this.#get(id);
      const limitBytes = instance.resources.memory * MB;
      if (instance.status !== 'running') {
        return { cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: limitBytes, pids: 0 };
      }
      return {
        cpuPercent: Math.min(plan.program.cpuPercent ?? 0, instance.resources.cpu * 100),
        memoryBytes: Math.min((plan.program.memoryMb ?? 4) * MB, limitBytes),
        memoryLimitBytes: limitBytes,
        pids: Math.min(plan.program.pids ?? 1, instance.resources.pids),
      };
    });
  }

  healthCheck(options: OperationOptions = {}): Promise<DriverHealth> {
    return this.#op('healthCheck', [options], options.signal, () => {
      const all = [...this.#containers.values()].map((c) => c.instance);
      const running = all.filter((c) => c.status === 'running').length;
      return {
        status: 'healthy' as const,
        version: this.version,
        uptime: (this.#clock.now() - this.#startedAt) / 1000,
        containers: { total: all.length, running, stopped: all.length - running },
      };
    });
  }

  isContainerHealthy(id: string, options: OperationOptions = {}): Promise<boolean> {
    return this.#op('isContainerHealthy', [id, options], options.signal, () => {
      const { instance } = this.#get(id);
      return instance.status === 'running' && (instance.health ?? 'healthy') === 'healthy';
    });
  }

  #addVolume(
    name: string,
    sessionId: string | undefined,
    tenantId: string | undefined,
    labels: Record<string, string>,
  ): Volume {
    const volume: Volume = {
      id: name,
      name,
      driver: this.name,
      ...(sessionId ? { sessionId } : {}),
      ...(tenantId ? { tenantId } : {}),
      labels: {
        ...labels,
        ...(sessionId ? { 'berth.session': sessionId } : {}),
        ...(tenantId ? { 'berth.tenant': tenantId } : {}),
      },
      createdAt: new Date(this.#clock.now()),
      mountpoint: `/mock/volumes/${name}`,
    };
    this.#volumes.set(name, volume);
    return volume;
  }

  createVolume(
    input: Parameters<ContainerDriver['createVolume']>[0],
    options: OperationOptions = {},
  ): Promise<Volume> {
    return this.#op('createVolume', [input, options], options.signal, () => {
      const config = parseInput(VolumeConfigSchema, input, 'volume configuration');
      const unenforced = volumeEnforcement(
        config,
        this.#capabilities,
        this.#enforcement,
        this.name,
      );
      const existing = this.#volumes.get(config.name);
      if (existing) {
        // Both real drivers answer a create of an existing name with the existing volume.
        return copy(existing);
      }
      const volume = copy(
        this.#addVolume(config.name, config.sessionId, config.tenantId, config.labels),
      );
      return unenforced.length > 0 ? { ...volume, unenforced } : volume;
    });
  }

  removeVolume(id: string, options: OperationOptions = {}): Promise<void> {
    return this.#op('removeVolume', [id, options], options.signal, () => {
      requireObjectId(id, 'volume');
      if (!this.#volumes.has(id)) throw new VolumeNotFoundError(id);
      const user = [...this.#containers.values()].find((c) =>
        c.config.volumes.some((v) => v.type === 'volume' && v.source === id),
      );
      if (user)
        throw new VolumeRemoveError(id, `volume is in use by container ${user.instance.id}`);
      this.#volumes.delete(id);
    });
  }

  listVolumes(options: OperationOptions = {}): Promise<Volume[]> {
    return this.#op('listVolumes', [options], options.signal, () =>
      [...this.#volumes.values()].map(copy),
    );
  }

  createNetwork(
    input: Parameters<ContainerDriver['createNetwork']>[0],
    options: OperationOptions = {},
  ): Promise<Network> {
    return this.#op('createNetwork', [input, options], options.signal, () => {
      const config = parseInput(NetworkConfigSchema, input, 'network configuration');
      const unenforced = networkEnforcement(
        config,
        this.#capabilities,
        this.#enforcement,
        this.name,
      );
      if (this.#network(config.name)) {
        throw new ConflictError(this.#profile.networkConflictMessage(config.name));
      }
      const id = this.#profile.newNetworkId((n) => this.#idRandom.hex(n));
      const network: Network = {
        id,
        name: config.name,
        driver: this.name,
        ...(config.sessionId ? { sessionId: config.sessionId } : {}),
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
        labels: {
          ...config.labels,
          ...(config.sessionId ? { 'berth.session': config.sessionId } : {}),
          ...(config.tenantId ? { 'berth.tenant': config.tenantId } : {}),
        },
        internal: config.internal,
        createdAt: new Date(this.#clock.now()),
        ...(unenforced.length > 0 ? { unenforced } : {}),
      };
      this.#networks.set(id, network);
      return copy(network);
    });
  }

  removeNetwork(id: string, options: OperationOptions = {}): Promise<void> {
    return this.#op('removeNetwork', [id, options], options.signal, () => {
      requireObjectId(id, 'network');
      const network = this.#network(id);
      if (!network) throw new NetworkNotFoundError(id);
      const user = [...this.#containers.values()].find(
        (c) => c.config.network === network.id || c.config.network === network.name,
      );
      if (user) {
        throw new NetworkRemoveError(
          id,
          `network has active endpoints (container ${user.instance.id})`,
        );
      }
      this.#networks.delete(network.id);
    });
  }

  listNetworks(options: OperationOptions = {}): Promise<Network[]> {
    return this.#op('listNetworks', [options], options.signal, () =>
      [...this.#networks.values()].map(copy),
    );
  }

  capabilities(options: OperationOptions = {}): Promise<DriverCapabilities> {
    return this.#op('capabilities', [options], options.signal, () => ({ ...this.#capabilities }));
  }

  /** Removes what matches `filter`: containers (forced), then networks and volumes. */
  cleanup(filter: CleanupFilter, options: OperationOptions = {}): Promise<CleanupResult> {
    return this.#op('cleanup', [filter, options], options.signal, () => {
      const wanted = parseCleanupFilter(filter);
      const result: CleanupResult = { containers: 0, volumes: 0, networks: 0 };
      for (const [id, container] of this.#containers) {
        if (!cleanupMatches(wanted, container.instance)) continue;
        container.run?.abort();
        this.#containers.delete(id);
        this.#notify(container);
        result.containers++;
      }
      for (const [id, network] of this.#networks) {
        if (!cleanupMatches(wanted, network)) continue;
        this.#networks.delete(id);
        result.networks++;
      }
      for (const [id, volume] of this.#volumes) {
        if (!cleanupMatches(wanted, volume)) continue;
        this.#volumes.delete(id);
        result.volumes++;
      }
      return result;
    });
  }

  /** Stops every simulated run's timers; the containers stay as they are. */
  async close(): Promise<void> {
    for (const container of this.#containers.values()) container.run?.abort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
