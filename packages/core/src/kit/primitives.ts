import type { UnsupportedFeature, ValidationIssue } from '../errors/index.js';
import type { FileInfo } from '../files/file-types.js';
import type { LifetimeClock } from '../lifetime/lifetime-keeper.js';
import type { LifetimeStore } from '../lifetime/lifetime-store.js';
import type { ProcessSource } from '../process/process-handle.js';
import type { ProcessInfo } from '../process/process-types.js';
import type { ParsedSpawnOptions } from '../process/spawn-options.js';
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerSignal,
  ExecOptions,
  LogOptions,
  NetworkConfig,
  VolumeConfig,
} from '../schemas.js';
import type {
  CleanupFilter,
  CleanupResult,
  ContainerInstance,
  ContainerStats,
  DriverCapabilities,
  DriverHealth,
  EnforcementMode,
  ExecResult,
  LogLine,
  Network,
  Volume,
  WaitResult,
} from '../types.js';
import type { ValidationOptions } from '../validation.js';

/*
 * What a driver writes when it is built with the kit: the primitives. Every input a primitive
 * receives has been validated by the kit (parsed copies, never the caller's objects), ids have
 * the shape of ids, the signal has been checked, and enforcement has been decided.
 */

export interface PrimitiveContext {
  /** The caller's signal combined with the kit's timeout for this operation. */
  readonly signal: AbortSignal | undefined;
}

export interface CreateContext extends PrimitiveContext {
  /** Every label the object must carry: defaults, the caller's, and Berth's own vocabulary. */
  readonly labels: Readonly<Record<string, string>>;
  /** What is not enforced (best-effort only); the instance reports it. */
  readonly unenforced: readonly UnsupportedFeature[];
  /** Unique to this create call, also in the labels as `berth.create`. */
  readonly token: string;
}

export type ParsedLogOptions = LogOptions & { follow: boolean };
export type ParsedExecOptions = ExecOptions & { timeout?: number };

export interface ParsedStopOptions {
  timeout?: number | undefined;
  force: boolean;
}

export interface ParsedRemoveOptions {
  force: boolean;
  volumes: boolean;
}

/** A driver's policy for the inputs it accepts, beyond the contract's own rules. */
export interface DriverPolicy extends ValidationOptions {
  enforcement?: EnforcementMode;
  /** Put on every container, volume and network (never `berth.` keys). */
  labels?: Record<string, string>;
  /** Milliseconds per operation after which the kit aborts it with a TimeoutError. */
  timeouts?: Partial<Record<TimedOperation, number>>;
}

export type TimedOperation =
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'getContainer'
  | 'listContainers'
  | 'waitContainer'
  | 'exec'
  | 'signalContainer'
  | 'pauseContainer'
  | 'resumeContainer'
  | 'spawn'
  | 'listProcesses'
  | 'files'
  | 'getContainerStats'
  | 'createVolume'
  | 'removeVolume'
  | 'listVolumes'
  | 'createNetwork'
  | 'removeNetwork'
  | 'listNetworks'
  | 'capabilities'
  | 'cleanup';

/**
 * The primitives of a driver. A primitive about one object throws the contract's not-found
 * error (or returns null, for `getContainer`) when the backend does not know it; the kit makes
 * sure the error names the id the caller gave.
 */
export interface DriverPrimitives {
  readonly name: string;
  readonly version: string;
  /** Lifetimes (TTL, idle timeout): where they are kept and who enforces them. */
  readonly lifetimes?: LifetimeSupport | undefined;

  capabilities(ctx: PrimitiveContext): Promise<PrimitiveCapabilities>;
  /** Why a capability is missing here, in the driver's words (shown in UnsupportedFeatureError). */
  unenforcedReason?(feature: string): string | undefined;
  /**
   * Checks of the driver's own (host policies, mount roots, networks) on a valid config, before
   * anything is made. Every problem is returned, for the kit to report all at once.
   */
  checkContainer?(
    config: ContainerConfig,
    ctx: PrimitiveContext,
  ): ValidationIssue[] | Promise<ValidationIssue[]>;
  /**
   * Makes the container. On failure or abort, removes whatever it made first: the kit only
   * removes a container whose create returned.
   */
  createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance>;
  startContainer(id: string, ctx: PrimitiveContext): Promise<void>;
  stopContainer(id: string, options: ParsedStopOptions, ctx: PrimitiveContext): Promise<void>;
  removeContainer(id: string, options: ParsedRemoveOptions, ctx: PrimitiveContext): Promise<void>;
  getContainer(id: string, ctx: PrimitiveContext): Promise<ContainerInstance | null>;
  /** Every managed container matching `filter` (the kit narrows the result again). */
  listContainers(filter: ContainerFilter, ctx: PrimitiveContext): Promise<ContainerInstance[]>;
  streamLogs(id: string, options: ParsedLogOptions, ctx: PrimitiveContext): AsyncIterable<LogLine>;
  waitContainer(id: string, ctx: PrimitiveContext): Promise<WaitResult>;
  exec(
    id: string,
    command: string[],
    options: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult>;
  getContainerStats(id: string, ctx: PrimitiveContext): Promise<ContainerStats>;
  /** Volume drivers a config may name (`driver`); none: only the default, unnamed. */
  volumeDrivers?(ctx: PrimitiveContext): Promise<string[]> | string[];
  /** Checks a volume config's `options`; without it, options are refused. */
  checkVolume?(
    config: VolumeConfig,
    ctx: PrimitiveContext,
  ): ValidationIssue[] | Promise<ValidationIssue[]>;
  createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume>;
  removeVolume(name: string, ctx: PrimitiveContext): Promise<void>;
  listVolumes(ctx: PrimitiveContext): Promise<Volume[]>;
  /** Network drivers a config may name (`driver`); none: only the default, unnamed. */
  networkDrivers?(ctx: PrimitiveContext): Promise<string[]> | string[];
  /** Checks a network config's `options`; without it, options are refused. */
  checkNetwork?(
    config: NetworkConfig,
    ctx: PrimitiveContext,
  ): ValidationIssue[] | Promise<ValidationIssue[]>;
  createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network>;
  removeNetwork(id: string, ctx: PrimitiveContext): Promise<void>;
  listNetworks(ctx: PrimitiveContext): Promise<Network[]>;

  // Derived by the kit when absent; a driver provides them where it can do better.
  restartContainer?(id: string, options: ParsedStopOptions, ctx: PrimitiveContext): Promise<void>;
  getContainerLogs?(id: string, options: LogOptions, ctx: PrimitiveContext): Promise<string>;
  isContainerHealthy?(id: string, ctx: PrimitiveContext): Promise<boolean>;
  healthCheck?(ctx: PrimitiveContext): Promise<DriverHealth>;
  cleanup?(filter: CleanupFilter, ctx: PrimitiveContext): Promise<CleanupResult>;
  close?(): Promise<void>;

  // Optional features: without them the kit reports the capability false and refuses the call.
  /** Sends a signal to the main process of a running container (the kit checks both). */
  signalContainer?(id: string, signal: ContainerSignal, ctx: PrimitiveContext): Promise<void>;
  /** Freezes a running container; a paused one is left as it is. */
  pauseContainer?(id: string, ctx: PrimitiveContext): Promise<void>;
  /** Thaws a paused container; a running one is left as it is. */
  resumeContainer?(id: string, ctx: PrimitiveContext): Promise<void>;
  /**
   * Starts a process in a running container and hands over its streams; the kit makes the
   * ContainerProcess (budgets, timeout, abort). `ctx.signal` covers the start only.
   */
  spawn?(
    id: string,
    command: string[],
    options: ParsedSpawnOptions,
    ctx: PrimitiveContext,
  ): Promise<ProcessSource>;
  /** Processes spawned in the container (by any instance of the driver, where it can tell). */
  listProcesses?(id: string, ctx: PrimitiveContext): Promise<ProcessInfo[]>;
  /** A process found again by its id, from any instance of the driver. */
  attach?(id: string, processId: string, ctx: PrimitiveContext): Promise<ProcessSource>;

  /*
   * Files. `upload` and `download` (tar streams) are the ones a driver must have for
   * `capabilities().files`; the kit derives the others from them where a driver has no
   * better way (writeFile as a one-entry tar, listFiles from the archive's headers). Paths
   * are checked absolute, without `..`; a missing path is a FileNotFoundError.
   */
  /**
   * Unpacks `tar` into directory `path` (which the kit has made sure exists) inside the
   * container, never outside it whatever the
   * member names or links say. `ownership`: `'archive'` keeps the members' uid and gid,
   * `'container'` gives them to the container's user (the kit's own one-entry writes).
   */
  upload?(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    ownership: 'archive' | 'container',
    ctx: PrimitiveContext,
  ): Promise<void>;
  download?(id: string, path: string, ctx: PrimitiveContext): Promise<AsyncIterable<Uint8Array>>;
  /** One path's entry (a link not followed), null when there is none; cheap, unlike download. */
  stat?(id: string, path: string, ctx: PrimitiveContext): Promise<FileInfo | null>;
  writeFile?(
    id: string,
    path: string,
    data: AsyncIterable<Uint8Array>,
    options: { mode: number; owner?: { uid: number; gid: number } },
    ctx: PrimitiveContext,
  ): Promise<void>;
  readFile?(id: string, path: string, ctx: PrimitiveContext): Promise<AsyncIterable<Uint8Array>>;
  listFiles?(id: string, path: string, ctx: PrimitiveContext): Promise<FileInfo[]>;
  /** Without it files can be written and read but not removed: `files` stays false. */
  removeFile?(
    id: string,
    path: string,
    options: { recursive: boolean; force: boolean },
    ctx: PrimitiveContext,
  ): Promise<void>;
  makeDir?(
    id: string,
    path: string,
    options: { mode: number; owner?: { uid: number; gid: number }; parents: boolean },
    ctx: PrimitiveContext,
  ): Promise<void>;
}

/**
 * How a driver enforces containers' lifetimes. The kit stamps them in labels, keeps the store
 * (extensions, use) and refuses to start an expired container; a keeper stops or removes them.
 */
export interface LifetimeSupport {
  store: LifetimeStore;
  /**
   * Makes sure a keeper runs outside this process (ensureKeeperProcess), called whenever a
   * container gets a deadline. Without it the kit runs the keeper in this process, for as long
   * as the driver is open: right only for a driver whose containers end with the process.
   */
  ensureKeeper?(): void;
  /** The clock of an in-process keeper (the mock's); real time by default. */
  clock?: LifetimeClock;
}

/**
 * What a driver's primitives report. The optional features (`pause`, `signals`) may be left
 * out: the kit sets them from the primitives the driver has, and a driver may set one false
 * where its host cannot do it after all.
 */
export type OptionalFeature =
  | 'pause'
  | 'signals'
  | 'processes'
  | 'processAttach'
  | 'files'
  | 'lifetimes';

export type PrimitiveCapabilities = Omit<DriverCapabilities, OptionalFeature> &
  Partial<Pick<DriverCapabilities, OptionalFeature>>;
