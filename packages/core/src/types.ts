import type { UnsupportedFeature } from './errors.js';
import type {
  ContainerConfigInput,
  ContainerFilter,
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

export interface ContainerDriver {
  readonly name: string;
  readonly version: string;
  /** The contract version this driver implements (CONTRACT_VERSION of the core it was built on). */
  readonly contractVersion: string;

  createContainer(
    config: ContainerConfigInput,
    options?: OperationOptions,
  ): Promise<ContainerInstance>;
  startContainer(id: string, options?: OperationOptions): Promise<void>;
  stopContainer(id: string, options?: StopOptions): Promise<void>;
  restartContainer(id: string, options?: StopOptions): Promise<void>;
  removeContainer(id: string, options?: RemoveOptions): Promise<void>;
  getContainer(id: string, options?: OperationOptions): Promise<ContainerInstance | null>;
  listContainers(
    filter?: ContainerFilter,
    options?: OperationOptions,
  ): Promise<ContainerInstance[]>;
  getContainerLogs(id: string, options?: GetLogsOptions): Promise<string>;
  streamLogs(id: string, options?: StreamLogsOptions): AsyncIterable<LogLine>;
  waitContainer(id: string, options?: OperationOptions): Promise<WaitResult>;
  exec(id: string, command: string[], options?: ExecCallOptions): Promise<ExecResult>;
  getContainerStats(id: string, options?: OperationOptions): Promise<ContainerStats>;
  healthCheck(options?: OperationOptions): Promise<DriverHealth>;
  isContainerHealthy(id: string, options?: OperationOptions): Promise<boolean>;
  createVolume(config: VolumeConfigInput, options?: OperationOptions): Promise<Volume>;
  removeVolume(id: string, options?: OperationOptions): Promise<void>;
  listVolumes(options?: OperationOptions): Promise<Volume[]>;
  createNetwork(config: NetworkConfigInput, options?: OperationOptions): Promise<Network>;
  removeNetwork(id: string, options?: OperationOptions): Promise<void>;
  listNetworks(options?: OperationOptions): Promise<Network[]>;
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
