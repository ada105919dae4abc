import {
  type ContainerConfig,
  type ContainerInstance,
  ContainerNotFoundError,
  type DriverCapabilities,
  type EnforcementMode,
  isObjectId,
  type LogLine,
  type Network,
  requireObjectId,
  type Volume,
} from '@berth/core';
import type { MockClock } from '../determinism/clock.js';
import type { SeededRandom } from '../determinism/seeded-random.js';
import type { Plan, ProgramSource } from '../programs/program.js';
import type { MockProfile } from './profiles.js';

export interface MockContainer {
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

/** What a mock is made with and never changes afterwards. */
export interface MockSettings {
  profile: MockProfile;
  clock: MockClock;
  /** Draws ids; its own stream, so latency and fault draws never shift them. */
  idRandom: SeededRandom;
  enforcement: EnforcementMode;
  capabilities: DriverCapabilities;
  programs: ProgramSource | undefined;
  allowCapabilities: string[] | undefined;
  allowRoot: boolean;
}

/** The mocks' reported version (they simulate hosts; they are not versioned backends). */
export const MOCK_VERSION = '0.0.0';

/** Handed-out values are copies, so a caller mutating a result cannot change the mock. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Everything one mock holds in memory, with the lookups every concern shares. */
export class MockState {
  readonly containers = new Map<string, MockContainer>();
  readonly volumes = new Map<string, Volume>();
  readonly networks = new Map<string, Network>();
  nextPort = 32768;
  readonly startedAt: number;

  constructor(readonly settings: MockSettings) {
    this.startedAt = settings.clock.now();
  }

  get name(): string {
    return this.settings.profile.name;
  }

  now(): Date {
    return new Date(this.settings.clock.now());
  }

  /**
   * The container `id` names. What cannot be an id is not found for a call that only reads,
   * and a ConfigurationError for one that would change something, as on the real drivers.
   */
  container(id: string, change = false): MockContainer {
    if (!isObjectId(id)) {
      if (change) requireObjectId(id, 'container');
      throw new ContainerNotFoundError(id);
    }
    const container = this.containers.get(id) ?? this.byName(id);
    if (!container) throw new ContainerNotFoundError(id);
    return container;
  }

  byName(name: string): MockContainer | undefined {
    for (const container of this.containers.values()) {
      if (container.instance.name === name) return container;
    }
    return undefined;
  }

  network(idOrName: string): Network | undefined {
    return (
      this.networks.get(idOrName) ?? [...this.networks.values()].find((n) => n.name === idOrName)
    );
  }

  /** Stops every run and forgets every container, volume and network. */
  clear(): void {
    for (const container of this.containers.values()) container.run?.abort();
    this.containers.clear();
    this.volumes.clear();
    this.networks.clear();
  }
}
