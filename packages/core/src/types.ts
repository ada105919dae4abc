import type { ContractVersion } from './contract-version.js';
import type { UnsupportedFeature } from './errors/index.js';
import type {
  FileData,
  FileInfo,
  MakeDirOptions,
  ReadFileOptions,
  RemoveFileOptions,
  WriteFileOptions,
} from './files/file-types.js';
import type { ContainerProcess, ProcessInfo, SpawnOptions } from './process/process-types.js';
import type {
  ContainerConfigInput,
  ContainerFilter,
  ContainerSignal,
  ContainerState,
  ContainerStatus,
  ExecOptions,
  HealthStatus,
  LogOptions,
  NetworkConfigInput,
  ResourceLimits,
  VolumeConfigInput,
} from './schemas.js';

/** Every driver method takes this as its last, optional argument. */
export interface OperationOptions {
  signal?: AbortSignal;
}

export interface PublishedPort {
  container: number;
  host: number;
  hostIp: string;
  protocol: 'tcp' | 'udp';
}

export interface ContainerInstance {
  id: string;
  name: string;
  sessionId: string;
  tenantId?: string;
  image: string;
  status: ContainerStatus;
  state: ContainerState;
  /** `host:port` of the first published port, or null when nothing is reachable from the host. */
  endpoint: string | null;
  ports: PublishedPort[];
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  health?: HealthStatus;
  labels: Record<string, string>;
  resources: ResourceLimits;
  /** Name of the driver that manages it. */
  driver: string;
  /** What was asked for but not enforced (only under `enforcement: 'best-effort'`). */
  unenforced?: UnsupportedFeature[];
  /** When the driver side will stop or remove it on its own; only for a `lifetime` config. */
  lifetime?: ContainerLifetime;
  /** The machine it runs (or last ran) on, from drivers that place containers on several. */
  node?: ContainerNode;
}

/** A machine of a scheduling driver's cluster, as a container's instance names it. */
export interface ContainerNode {
  id: string;
  hostname: string;
  /** The node's address in the cluster, where known. */
  address?: string;
}

/** A container's lifetime as it stands now (extendTtl and use move it). */
export interface ContainerLifetime {
  /** End of its time to live; null without `ttlMs`. */
  expiresAt: Date | null;
  idleTimeoutMs: number | null;
  /** The last use the driver saw (an operation on it, a process of it running). */
  lastActivityAt: Date;
  onExpiry: 'stop' | 'remove';
}

export interface StopOptions extends OperationOptions {
  /** Seconds to wait after SIGTERM before SIGKILL. */
  timeout?: number;
  /** Kill at once. */
  force?: boolean;
}

export interface RemoveOptions extends OperationOptions {
  /** Remove even if running (kills it first). */
  force?: boolean;
  /** Also remove anonymous volumes the container owns. */
  volumes?: boolean;
}

export type GetLogsOptions = LogOptions & OperationOptions;

export interface StreamLogsOptions extends GetLogsOptions {
  /** Keep streaming new lines until the container exits or the signal aborts. */
  follow?: boolean;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  timestamp: Date;
}

export interface WaitResult {
  exitCode: number;
  oomKilled: boolean;
}

export type ExecCallOptions = ExecOptions & OperationOptions;

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ContainerStats {
  /** Percent of one core (200 = two full cores). */
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  pids: number;
  /**
   * Bytes the container has written to its own filesystem (Docker: its writable layer; local:
   * its work directory), where the driver can measure it; absent otherwise.
   */
  diskBytes?: number;
}

export interface DriverHealth {
  status: 'healthy' | 'degraded' | 'unhealthy';
  version: string;
  /** Seconds since the driver (or its backend) started. */
  uptime: number;
  containers: { total: number; running: number; stopped: number };
  error?: string;
}

export interface Volume {
  id: string;
  name: string;
  driver: string;
  sessionId?: string;
  tenantId?: string;
  labels: Record<string, string>;
  createdAt: Date;
  /** Where the data lives, when the driver can say. */
  mountpoint?: string;
  /** What was asked for but not enforced (only under `enforcement: 'best-effort'`). */
  unenforced?: UnsupportedFeature[];
}

export interface Network {
  id: string;
  name: string;
  driver: string;
  sessionId?: string;
  tenantId?: string;
  labels: Record<string, string>;
  internal: boolean;
  createdAt: Date;
  /** What was asked for but not enforced (only under `enforcement: 'best-effort'`). */
  unenforced?: UnsupportedFeature[];
}

/** What this driver, on this host, really enforces. */
export interface DriverCapabilities {
  cpu: boolean;
  memory: boolean;
  pids: boolean;
  disk: boolean;
  readOnlyRootfs: boolean;
  noNewPrivileges: boolean;
  user: boolean;
  /** Dropping and adding capabilities. */
  capabilityDrop: boolean;
  /** `isolated`: a real network namespace; `logical`: a record only; false: no networks. */
  networks: 'isolated' | 'logical' | false;
  volumes: boolean;
  ports: boolean;
  exec: boolean;
  stats: boolean;
  logsFollow: boolean;
  healthchecks: boolean;
  /** A volume's `sizeMb` is enforced. Absent: it is not. */
  volumeSize?: boolean;
  /** pauseContainer / resumeContainer freeze and thaw every process of a container. */
  pause: boolean;
  /** signalContainer delivers a signal to the main process. */
  signals: boolean;
  /** spawn streams a process's output and takes its stdin. */
  processes: boolean;
  /** listProcesses and attach find a spawned process again, from another driver instance too. */
  processAttach: boolean;
  /** writeFile, readFile, listFiles, removeFile, makeDir, upload and download. */
  files: boolean;
  /**
   * `lifetime` (time to live, idle timeout) is enforced and `extendTtl` works. Where the
   * driver's keeper is a process of its own it survives the process that made the container.
   */
  lifetimes: boolean;
  /** `placement` (constraints, spread) is honoured. Absent: it is not. */
  placement?: boolean;
  /** `restart` is honoured: the container is restarted when its program ends. Absent: it is not. */
  restarts?: boolean;
}

export type EnforcementMode = 'strict' | 'best-effort';

/**
 * What `cleanup` removes: one session's objects (optionally only one tenant's), one tenant's, or
 * explicitly everything the driver made. An empty filter is refused, never taken to mean all.
 */
export type CleanupFilter =
  | { sessionId: string; tenantId?: string }
  | { tenantId: string; sessionId?: undefined }
  | { all: true };

/** How many objects a `cleanup` removed. */
export interface CleanupResult {
  containers: number;
  volumes: number;
  networks: number;
}

/**
 * The contract every driver implements. Rules that hold for every method:
 * - every input is validated before anything is done; an invalid one is a `ConfigurationError`
 *   listing every problem, and nothing is created;
 * - an id that cannot be one is a `ConfigurationError` for a call that changes something, and
 *   not found (`null` from `getContainer`) for one that only reads — no request is made;
 * - the last argument's `signal` aborts the call: it rejects with the signal's reason and
 *   leaves nothing half-made;
 * - a backend that cannot be reached is a retryable `NetworkError`; `retryable` on any
 *   `DriverError` says whether trying again can help.
 */
export interface ContainerDriver {
  readonly name: string;
  readonly version: string;
  /** The contract version this driver implements (CONTRACT_VERSION of the core it was built on). */
  readonly contractVersion: ContractVersion;

  /**
   * Makes a container (not started). Not idempotent: each call makes a new one (pass a
   * `name` to make a repeat a `ConflictError`). Throws `UnsupportedFeatureError` for what the
   * host cannot enforce under strict enforcement, `ResourceLimitError` past the host's limits,
   * `NetworkNotFoundError` for an unknown `network`, `ConflictError` for a name or port taken.
   */
  createContainer(
    config: ContainerConfigInput,
    options?: OperationOptions,
  ): Promise<ContainerInstance>;
  /**
   * Starts it; idempotent (starting a running container does nothing). Throws
   * `ContainerNotFoundError`, or `ContainerStartError` when its program cannot start.
   */
  startContainer(id: string, options?: OperationOptions): Promise<void>;
  /**
   * Stops it: SIGTERM, then SIGKILL after `timeout` seconds (`force`: at once); resolves once
   * it has ended. Idempotent (a stopped container stays stopped). `ContainerNotFoundError`.
   */
  stopContainer(id: string, options?: StopOptions): Promise<void>;
  /** Stops (if running) and starts again. `ContainerNotFoundError`, `ContainerStartError`. */
  restartContainer(id: string, options?: StopOptions): Promise<void>;
  /**
   * Removes it; a running one only with `force`, else `ContainerRemoveError`. Not idempotent:
   * removing it again is `ContainerNotFoundError`. Parallel forced removes all succeed.
   */
  removeContainer(id: string, options?: RemoveOptions): Promise<void>;
  /** The container, or `null` when there is none by that id or name. Never throws not-found. */
  getContainer(id: string, options?: OperationOptions): Promise<ContainerInstance | null>;
  /** The driver's containers matching every given field of `filter` (none: all of them). */
  listContainers(
    filter?: ContainerFilter,
    options?: OperationOptions,
  ): Promise<ContainerInstance[]>;
  /** Its output so far, as text, per `options`. `ContainerNotFoundError`. */
  getContainerLogs(id: string, options?: GetLogsOptions): Promise<string>;
  /**
   * Its output line by line; with `follow`, until it stops or the signal aborts (aborting ends
   * the stream without an error). Throws `ContainerNotFoundError` at the first read, and
   * `LogLinesLostError` after the last intact line when lines were lost before being read.
   */
  streamLogs(id: string, options?: StreamLogsOptions): AsyncIterable<LogLine>;
  /** Resolves when it is not running, with its exit code. `ContainerNotFoundError`. */
  waitContainer(id: string, options?: OperationOptions): Promise<WaitResult>;
  /**
   * Runs a command in the running container. Never retried (it has effects). `ConflictError`
   * when it is not running, `TimeoutError` past `timeout`, `ContainerNotFoundError`.
   */
  exec(id: string, command: string[], options?: ExecCallOptions): Promise<ExecResult>;
  /**
   * Sends `signal` to the container's main process (what its program does with it is its own
   * affair). ConflictError unless the container is running; UnsupportedFeatureError where
   * `capabilities().signals` is false.
   */
  signalContainer(id: string, signal: ContainerSignal, options?: OperationOptions): Promise<void>;
  /**
   * Freezes every process of a running container (status `paused`) until resumeContainer; its
   * processes can neither tell nor undo it. Pausing a paused container does nothing; exec on one
   * is a ConflictError; stop and remove work on it. UnsupportedFeatureError where
   * `capabilities().pause` is false.
   */
  pauseContainer(id: string, options?: OperationOptions): Promise<void>;
  /** Thaws a paused container; one that is running already is left as it is. */
  resumeContainer(id: string, options?: OperationOptions): Promise<void>;
  /**
   * Starts `command` in a running container and returns at once with its handle: output
   * streams as it is produced, stdin can be written and closed, and it can be waited for or
   * killed. `exec` is the buffered form. UnsupportedFeatureError where
   * `capabilities().processes` is false.
   */
  spawn(id: string, command: string[], options?: SpawnOptions): Promise<ContainerProcess>;
  /** Processes spawned in the container that the driver can find again. */
  listProcesses(id: string, options?: OperationOptions): Promise<ProcessInfo[]>;
  /** A spawned process found again by its id (`ContainerProcess.id`). */
  attach(id: string, processId: string, options?: OperationOptions): Promise<ContainerProcess>;
  /**
   * Files inside the container, by absolute path (no `..`); a link inside the container never
   * leads a read or write out of it. Where the engine allows, on stopped containers too.
   * UnsupportedFeatureError where `capabilities().files` is false.
   */
  writeFile(id: string, path: string, data: FileData, options?: WriteFileOptions): Promise<void>;
  /** A file's bytes, at most `maxBytes` (default 64 MiB): larger ones through readFileStream. */
  readFile(id: string, path: string, options?: ReadFileOptions): Promise<Uint8Array>;
  /** A file's bytes as a stream; resolves once the file was found. */
  readFileStream(
    id: string,
    path: string,
    options?: OperationOptions,
  ): Promise<AsyncIterable<Uint8Array>>;
  /** The entries of a directory (links not followed), or of one file. */
  listFiles(id: string, path: string, options?: OperationOptions): Promise<FileInfo[]>;
  removeFile(id: string, path: string, options?: RemoveFileOptions): Promise<void>;
  makeDir(id: string, path: string, options?: MakeDirOptions): Promise<void>;
  /** Unpacks a tar stream into the directory `path` (made when missing). */
  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    options?: OperationOptions,
  ): Promise<void>;
  /** The directory (or file) `path` as a tar stream, its entries relative to it. */
  download(
    id: string,
    path: string,
    options?: OperationOptions,
  ): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Moves the end of a container's time to live `ms` later (from now, if it has passed) and
   * returns the new end. It counts as use for the idle timeout too. ConfigurationError for a
   * container made without `lifetime.ttlMs`; UnsupportedFeatureError where
   * `capabilities().lifetimes` is false.
   */
  extendTtl(id: string, ms: number, options?: OperationOptions): Promise<Date>;
  /** Current cpu, memory and pids. `ContainerNotFoundError`. */
  getContainerStats(id: string, options?: OperationOptions): Promise<ContainerStats>;
  /** The driver's own health; an unreachable backend is `unhealthy`, not an error. */
  healthCheck(options?: OperationOptions): Promise<DriverHealth>;
  /** Running, and its health check passing where it has one. `ContainerNotFoundError`. */
  isContainerHealthy(id: string, options?: OperationOptions): Promise<boolean>;
  /**
   * Makes a named volume; creating one of the same name for the same session returns it.
   * `UnsupportedFeatureError` for a `driver`, `options` or `sizeMb` the driver cannot honour.
   */
  createVolume(config: VolumeConfigInput, options?: OperationOptions): Promise<Volume>;
  /** `VolumeNotFoundError`; `VolumeRemoveError` while a container uses it. */
  removeVolume(id: string, options?: OperationOptions): Promise<void>;
  listVolumes(options?: OperationOptions): Promise<Volume[]>;
  /**
   * Makes a network (internal by default: no route out, the host unreachable). A second one of
   * the same name is a `ConflictError`. An internal network where networks are only logical,
   * or a `driver`/`options` the driver cannot honour, is an `UnsupportedFeatureError`.
   */
  createNetwork(config: NetworkConfigInput, options?: OperationOptions): Promise<Network>;
  /** `NetworkNotFoundError`; `NetworkRemoveError` while a running container is on it. */
  removeNetwork(id: string, options?: OperationOptions): Promise<void>;
  listNetworks(options?: OperationOptions): Promise<Network[]>;
  /** What this driver, on this host, really enforces; what enforcement is decided against. */
  capabilities(options?: OperationOptions): Promise<DriverCapabilities>;
  /**
   * Removes what this driver made that matches `filter` — containers (forced, with their
   * anonymous volumes), then networks and volumes — including what an earlier, crashed process
   * made. Idempotent: objects already gone are not errors.
   */
  cleanup(filter: CleanupFilter, options?: OperationOptions): Promise<CleanupResult>;
  /**
   * Releases what the driver holds in this process (connections, timers, monitors, pools);
   * containers keep running. Idempotent; calls after it may fail.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
