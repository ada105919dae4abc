import type {
  ContainerDriver,
  ContractVersion,
  DriverCapabilities,
  EnforcementMode,
  LogLine,
  OperationArgs,
} from '@berth/core';
import type { MockClock } from './determinism/clock.js';
import { SeededRandom } from './determinism/seeded-random.js';
import { InMemoryDriver } from './engine/in-memory-driver.js';
import type { MockProfile } from './engine/profiles.js';
import type { FaultInjector } from './middleware/fault-injector.js';
import { OptionReader, shown } from './middleware/option-checks.js';
import { type MockCall, recordCalls } from './middleware/record-calls.js';
import { withFaults } from './middleware/with-faults.js';
import { withLatency } from './middleware/with-latency.js';
import type { ProgramSource } from './programs/program.js';

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

// Its own stream of the seed, so ids do not change when latencies or faults draw more or less.
const ID_STREAM = 0x5bd1e995;

/**
 * The in-memory driver behind MockDockerDriver and MockLocalDriver: the simulated host, with
 * `recordCalls(withFaults(withLatency(host)))` around it. Faults come before latency, so an
 * injected failure is immediate; a call that reaches the host (succeedThenFail's included)
 * takes the latency.
 */
export class MockDriver implements ContainerDriver {
  readonly name: string;
  readonly version: string;
  readonly contractVersion: ContractVersion;
  /** Every call made, in order, with its outcome. */
  readonly calls: MockCall[];
  readonly faults: FaultInjector;

  readonly #host: InMemoryDriver;
  readonly #layers: ContainerDriver;

  constructor(profile: MockProfile, options: MockDriverOptions = {}) {
    const reader = new OptionReader(`${profile.name} options`, options, false);
    const seed = reader.seed();
    const clock = reader.clock();
    const latency = timingRange(reader, profile, options.timing);
    reader.done();

    this.#host = new InMemoryDriver({
      profile,
      clock,
      idRandom: new SeededRandom(seed ^ ID_STREAM),
      enforcement: options.enforcement ?? 'strict',
      capabilities: { ...profile.capabilities, ...options.capabilities },
      programs: options.programs,
      allowCapabilities: options.allowCapabilities,
      allowRoot: options.allowRoot === true,
    });
    const timed = latency ? withLatency(this.#host, { ...latency, seed, clock }) : this.#host;
    const layers = recordCalls(withFaults(timed, { seed }), { clock });
    this.#layers = layers;
    this.calls = layers.calls;
    this.faults = layers.faults;
    this.name = this.#host.name;
    this.version = this.#host.version;
    this.contractVersion = this.#host.contractVersion;
  }

  /**
   * Drops all but the last `keep` lines of a container's log, as an engine's log rotation does,
   * so tests can see how their code handles a follower that fell behind: a follow that had not
   * read the dropped lines throws LogLinesLostError. Returns how many lines were dropped.
   */
  rotateLogs(id: string, keep = 0): number {
    return this.#host.rotateLogs(id, keep);
  }

  /** Forgets every container, volume, network, recorded call and fault. */
  reset(): void {
    this.#host.clear();
    this.calls.length = 0;
    this.faults.clear();
  }

  createContainer(...args: OperationArgs<'createContainer'>) {
    return this.#layers.createContainer(...args);
  }
  startContainer(...args: OperationArgs<'startContainer'>) {
    return this.#layers.startContainer(...args);
  }
  stopContainer(...args: OperationArgs<'stopContainer'>) {
    return this.#layers.stopContainer(...args);
  }
  restartContainer(...args: OperationArgs<'restartContainer'>) {
    return this.#layers.restartContainer(...args);
  }
  removeContainer(...args: OperationArgs<'removeContainer'>) {
    return this.#layers.removeContainer(...args);
  }
  getContainer(...args: OperationArgs<'getContainer'>) {
    return this.#layers.getContainer(...args);
  }
  listContainers(...args: OperationArgs<'listContainers'>) {
    return this.#layers.listContainers(...args);
  }
  getContainerLogs(...args: OperationArgs<'getContainerLogs'>) {
    return this.#layers.getContainerLogs(...args);
  }
  streamLogs(...args: OperationArgs<'streamLogs'>): AsyncIterable<LogLine> {
    return this.#layers.streamLogs(...args);
  }
  waitContainer(...args: OperationArgs<'waitContainer'>) {
    return this.#layers.waitContainer(...args);
  }
  exec(...args: OperationArgs<'exec'>) {
    return this.#layers.exec(...args);
  }
  signalContainer(...args: OperationArgs<'signalContainer'>) {
    return this.#layers.signalContainer(...args);
  }
  pauseContainer(...args: OperationArgs<'pauseContainer'>) {
    return this.#layers.pauseContainer(...args);
  }
  resumeContainer(...args: OperationArgs<'resumeContainer'>) {
    return this.#layers.resumeContainer(...args);
  }
  spawn(...args: OperationArgs<'spawn'>) {
    return this.#layers.spawn(...args);
  }
  extendTtl(...args: OperationArgs<'extendTtl'>) {
    return this.#layers.extendTtl(...args);
  }
  listProcesses(...args: OperationArgs<'listProcesses'>) {
    return this.#layers.listProcesses(...args);
  }
  attach(...args: OperationArgs<'attach'>) {
    return this.#layers.attach(...args);
  }
  writeFile(...args: OperationArgs<'writeFile'>) {
    return this.#layers.writeFile(...args);
  }
  readFile(...args: OperationArgs<'readFile'>) {
    return this.#layers.readFile(...args);
  }
  readFileStream(...args: OperationArgs<'readFileStream'>) {
    return this.#layers.readFileStream(...args);
  }
  listFiles(...args: OperationArgs<'listFiles'>) {
    return this.#layers.listFiles(...args);
  }
  removeFile(...args: OperationArgs<'removeFile'>) {
    return this.#layers.removeFile(...args);
  }
  makeDir(...args: OperationArgs<'makeDir'>) {
    return this.#layers.makeDir(...args);
  }
  upload(...args: OperationArgs<'upload'>) {
    return this.#layers.upload(...args);
  }
  download(...args: OperationArgs<'download'>) {
    return this.#layers.download(...args);
  }
  getContainerStats(...args: OperationArgs<'getContainerStats'>) {
    return this.#layers.getContainerStats(...args);
  }
  healthCheck(...args: OperationArgs<'healthCheck'>) {
    return this.#layers.healthCheck(...args);
  }
  isContainerHealthy(...args: OperationArgs<'isContainerHealthy'>) {
    return this.#layers.isContainerHealthy(...args);
  }
  createVolume(...args: OperationArgs<'createVolume'>) {
    return this.#layers.createVolume(...args);
  }
  removeVolume(...args: OperationArgs<'removeVolume'>) {
    return this.#layers.removeVolume(...args);
  }
  listVolumes(...args: OperationArgs<'listVolumes'>) {
    return this.#layers.listVolumes(...args);
  }
  createNetwork(...args: OperationArgs<'createNetwork'>) {
    return this.#layers.createNetwork(...args);
  }
  removeNetwork(...args: OperationArgs<'removeNetwork'>) {
    return this.#layers.removeNetwork(...args);
  }
  listNetworks(...args: OperationArgs<'listNetworks'>) {
    return this.#layers.listNetworks(...args);
  }
  capabilities(...args: OperationArgs<'capabilities'>) {
    return this.#layers.capabilities(...args);
  }
  cleanup(...args: OperationArgs<'cleanup'>) {
    return this.#layers.cleanup(...args);
  }
  close(): Promise<void> {
    return this.#layers.close();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The latency range `timing` asks for, or none for `instant`. */
function timingRange(
  reader: OptionReader,
  profile: MockProfile,
  timing: unknown,
): { minMs: number; maxMs: number } | undefined {
  if (timing === undefined || timing === 'instant') return undefined;
  if (timing === 'realistic') {
    return { minMs: profile.realisticMs.min, maxMs: profile.realisticMs.max };
  }
  const { minMs, maxMs } = (typeof timing === 'object' && timing !== null ? timing : {}) as {
    minMs?: unknown;
    maxMs?: unknown;
  };
  const isMs = (ms: unknown): ms is number =>
    typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
  if (isMs(minMs) && isMs(maxMs) && minMs <= maxMs) return { minMs, maxMs };
  reader.refuse(
    ['timing'],
    `must be 'instant', 'realistic' or { minMs, maxMs }, milliseconds with 0 <= minMs <= maxMs, got ${
      typeof timing === 'object' && timing !== null
        ? `{ minMs: ${shown(minMs)}, maxMs: ${shown(maxMs)} }`
        : shown(timing)
    }`,
  );
  return undefined;
}
