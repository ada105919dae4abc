import type { IncomingMessage } from 'node:http';
import {
  type CleanupFilter,
  type CleanupResult,
  ConfigurationError,
  ConflictError,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerInstance,
  ContainerNotFoundError,
  ContainerRemoveError,
  type ContainerStats,
  callSignal,
  type DriverCapabilities,
  type DriverHealth,
  type EnforcementMode,
  type ExecResult,
  type GetLogsOptions,
  getErrorMessage,
  isAbortError,
  isObjectId,
  type LogLine,
  type LogOptions,
  type Network,
  type NetworkConfig,
  NetworkNotFoundError,
  parseLogOptions,
  requireObjectId,
  type StreamLogsOptions,
  TimeoutError,
  type ValidationIssue,
  type Volume,
  type VolumeConfig,
  VolumeNotFoundError,
  type WaitResult,
} from '@berth/core';
import {
  type CreateContext,
  type DriverPrimitives,
  KitDriver,
  type ParsedExecOptions,
  type ParsedLogOptions,
  type ParsedRemoveOptions,
  type ParsedStopOptions,
  type PrimitiveContext,
} from '@berth/core/kit';
import type Dockerode from 'dockerode';
import { raceAbort } from './abort.js';
import { capabilitiesFromInfo, type EngineInfo } from './capabilities.js';
import { parseLogDriverOptions, toCreateOptions } from './config-mapping.js';
import type { DockerClient, DockerConnectionOptions } from './connection.js';
import { type CreatePolicy, checkBindMounts, checkNetwork } from './create-policy.js';
import { EngineClient, type EngineRequest } from './engine-client.js';
import { type EngineOperation, mapEngineError, statusOf } from './error-mapping.js';
import { toInstance } from './instance-mapping.js';
import {
  berthLabels,
  DRIVER_NAME,
  DRIVER_VERSION,
  isManaged,
  LABEL,
  labelFilter,
} from './labels.js';
import {
  collectStreams,
  collectText,
  FrameDecoder,
  LineAssembler,
  messageStamps,
  stampToSince,
} from './log-demux.js';
import { type FollowSource, followLog } from './log-follow.js';
import { engineTime, logQuery } from './log-query.js';
import {
  INTERNAL_BRIDGE_OPTIONS,
  type NetworkCalls,
  probeInternalIsolation,
} from './network-isolation.js';
import { type EngineStats, toContainerStats } from './stats.js';

/** The engine's answer to a remove while another remove of the same container runs. */
function removalInProgress(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause;
  return (
    statusOf(cause) === 409 &&
    /removal of container .* is already in progress/i.test(String((cause as Error)?.message ?? ''))
  );
}

export interface DockerDriverOptions extends DockerConnectionOptions {
  /**
   * `strict` (default) refuses a config asking for something this engine cannot enforce;
   * `best-effort` runs it anyway and lists what was not enforced on the instance.
   */
  enforcement?: EnforcementMode;
  /** Labels put on every container, volume and network this driver makes. */
  labels?: Record<string, string>;
  /**
   * A ready client (a dockerode `Docker`, a test stub, or to share one connection); connection
   * options are then ignored.
   */
  docker?: DockerClient;
  /**
   * Log driver for containers. `local` by default: it stores output as bytes (json-file turns
   * invalid UTF-8 into U+FFFD) and rotates on its own. `null` keeps the engine's default.
   */
  logDriver?: string | null;
  /**
   * The log driver's options (`--log-opt`), e.g. `{ 'max-size': '10m', 'max-file': '3' }` to
   * bound each container's log on disk. Only with a `logDriver`. A follower slower than the
   * container's output loses what rotation deletes before it is read; the stream then fails with
   * a `LogLinesLostError` rather than skipping it.
   */
  logOptions?: Record<string, string>;
  /**
   * Run the engine's init (tini) as PID 1, default true. A shell or program as PID 1 ignores
   * SIGTERM unless it handles it, so every stop would wait out its timeout before SIGKILL; and
   * nothing would reap orphaned zombies, which count against the pids limit.
   */
  init?: boolean;
  /**
   * DANGEROUS. Accept `security.user` and the exec `user` with uid 0 or gid 0 (`'0'`, `'0:0'`,
   * `'root'`, `'1000:0'`, …), refused by default. Unless the engine remaps users into a user
   * namespace (`userns-remap`, rootless Docker or Podman), root in a container is root on the
   * host: one kernel bug or misconfigured mount away from owning it. Only for trusted images
   * that cannot run otherwise.
   */
  allowRoot?: boolean;
  /**
   * Host directories bind-mount sources must lie in (symlinks resolved where the engine is on
   * this host). Default: none, so no bind mounts. The host's root, /etc, /proc, /sys, /dev,
   * /boot, /root, /run (the engine's socket), /var/run and engine state are refused whatever
   * this says.
   */
  allowedRoots?: string[];
  /**
   * DANGEROUS for `host` and `container:…`. Engine networks this driver did not make that
   * containers may join anyway, by exact name: e.g. `['bridge']`. `host` gives a container the
   * host's network stack, `container:<id>` another container's.
   */
  allowNetworks?: string[];
}

/** Both output streams of a container, as raw bytes. */
export interface LogBuffers {
  stdout: Buffer;
  stderr: Buffer;
}

interface EngineVolume {
  Name: string;
  Driver: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
}

interface EngineNetwork {
  Id: string;
  Name: string;
  Driver: string;
  Internal: boolean;
  Created: string;
  Labels: Record<string, string> | null;
}

interface EngineContainerSummary {
  Id: string;
  State: string;
}

/** Isolation probes by engine address (see #probeIsolation). */
const ISOLATION_PROBES = new Map<string, Promise<{ isolated: boolean; reason?: string }>>();

const CONNECTION_KEYS = [
  'socketPath',
  'host',
  'port',
  'protocol',
  'ca',
  'cert',
  'key',
  'timeout',
  'version',
] as const satisfies readonly (keyof DockerConnectionOptions)[];

function toVolume(volume: EngineVolume): Volume {
  const labels = volume.Labels ?? {};
  const result: Volume = {
    id: volume.Name,
    name: volume.Name,
    driver: volume.Driver,
    labels,
    createdAt: volume.CreatedAt ? new Date(volume.CreatedAt) : new Date(0),
  };
  if (labels[LABEL.session] !== undefined) result.sessionId = labels[LABEL.session];
  if (labels[LABEL.tenant] !== undefined) result.tenantId = labels[LABEL.tenant];
  if (volume.Mountpoint) result.mountpoint = volume.Mountpoint;
  return result;
}

function toNetwork(network: EngineNetwork): Network {
  const labels = network.Labels ?? {};
  const result: Network = {
    id: network.Id,
    name: network.Name,
    driver: network.Driver,
    labels,
    internal: network.Internal,
    createdAt: new Date(network.Created),
  };
  if (labels[LABEL.session] !== undefined) result.sessionId = labels[LABEL.session];
  if (labels[LABEL.tenant] !== undefined) result.tenantId = labels[LABEL.tenant];
  return result;
}

function oneOrMany<T>(value: T | T[] | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

/**
 * The Berth contract on a Docker Engine API (Docker, or Podman's compatible service).
 *
 * The driver keeps no state of its own: everything it makes carries `berth.*` labels and is
 * read back from the engine, so another instance or a restarted process sees and controls it.
 * It only ever acts on objects carrying those labels; anything else on the engine is, to the
 * driver, not there.
 */
/** The Docker driver's primitives: what the kit (KitDriver) cannot do for it. */
class DockerEngine implements DriverPrimitives {
  readonly name = DRIVER_NAME;
  readonly version = DRIVER_VERSION;

  readonly #options: DockerDriverOptions;
  readonly #labels: Record<string, string>;
  readonly #logDriver: string | null;
  readonly #logOptions: Record<string, string>;
  readonly #init: boolean;
  readonly #policy: CreatePolicy;
  /** What the internal-network probe found (see network-isolation.ts). */
  #isolation: { isolated: boolean; reason?: string } | undefined;
  /** Volume drivers the engine reported in /info (read with the capabilities). */
  #volumeDrivers: string[] = ['local'];
  readonly #startedAt = Date.now();
  #client: Promise<EngineClient> | undefined;
  #capabilities: Promise<DriverCapabilities> | undefined;
  // Ids already seen carrying berth.managed. Labels never change after create, so a positive
  // answer stays true; it saves one inspect per call on the hot path.
  readonly #managed = new Set<string>();

  constructor(options: DockerDriverOptions = {}) {
    this.#options = options;
    this.#labels = { ...options.labels };
    this.#logDriver = options.logDriver === undefined ? 'local' : options.logDriver;
    this.#logOptions = parseLogDriverOptions(options.logOptions, this.#logDriver);
    this.#init = options.init ?? true;
    this.#policy = {
      allowedRoots: [...(options.allowedRoots ?? [])],
      allowNetworks: [...(options.allowNetworks ?? [])],
    };
    if (options.docker) this.#client = Promise.resolve(new EngineClient(options.docker));
  }

  // dockerode (and its gRPC and SSH dependencies) loads on first use, not on import.
  #engine(): Promise<EngineClient> {
    this.#client ??= import('dockerode').then(({ default: Docker }) => {
      const connection: Record<string, unknown> = {};
      for (const key of CONNECTION_KEYS) {
        if (this.#options[key] !== undefined) connection[key] = this.#options[key];
      }
      // With no address given, dockerode reads DOCKER_HOST (and DOCKER_CERT_PATH), then the
      // default socket.
      return new EngineClient(new Docker(connection as Dockerode.DockerOptions));
    });
    return this.#client;
  }

  async #call<T>(request: EngineRequest, what: EngineOperation): Promise<T> {
    const engine = await this.#engine();
    try {
      return await engine.json<T>(request);
    } catch (error) {
      throw mapEngineError(error, what);
    }
  }

  async #stream(request: EngineRequest, what: EngineOperation): Promise<IncomingMessage> {
    const engine = await this.#engine();
    try {
      return await engine.stream(request);
    } catch (error) {
      throw mapEngineError(error, what);
    }
  }

  async #inspect(
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Dockerode.ContainerInspectInfo | null> {
    // What cannot be an id is not one: no request is made for it.
    if (!isObjectId(id)) return null;
    try {
      const info = await this.#call<Dockerode.ContainerInspectInfo>(
        { method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, signal },
        { kind: 'container', op: 'other', id },
      );
      if (!isManaged(info.Config.Labels)) return null;
      this.#managed.add(id);
      this.#managed.add(info.Id);
      return info;
    } catch (error) {
      if (error instanceof ContainerNotFoundError) return null;
      throw error;
    }
  }

  async #inspectOrThrow(
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Dockerode.ContainerInspectInfo> {
    const info = await this.#inspect(id, signal);
    if (!info) throw new ContainerNotFoundError(id);
    return info;
  }

  /**
   * Throws ContainerNotFoundError unless `id` is a container this driver (any instance) made.
   * An id that cannot be one is a ConfigurationError for a call that would change something,
   * and not found for one that only reads.
   */
  async #requireManaged(
    id: string,
    signal: AbortSignal | undefined,
    change: 'changes' | 'reads' = 'changes',
  ): Promise<void> {
    signal?.throwIfAborted();
    if (change === 'changes') requireObjectId(id, 'container');
    if (!this.#managed.has(id)) await this.#inspectOrThrow(id, signal);
  }

  #path(id: string, action = ''): string {
    return `/containers/${encodeURIComponent(id)}${action}`;
  }

  async capabilities(options: PrimitiveContext): Promise<DriverCapabilities> {
    // Probed once per instance and shared; a failed probe is not kept, so it is retried.
    this.#capabilities ??= this.#call<EngineInfo>(
      { method: 'GET', path: '/info' },
      { kind: 'engine' },
    ).then(
      async (info) => {
        const caps = capabilitiesFromInfo(info);
        this.#volumeDrivers = [...(info.Plugins?.Volume ?? ['local'])];
        // Isolation is claimed only where an internal network was seen to keep the host off.
        this.#isolation = await this.#probeIsolation();
        return { ...caps, networks: this.#isolation.isolated ? 'isolated' : 'logical' } as const;
      },
      (error: unknown) => {
        this.#capabilities = undefined;
        throw error;
      },
    );
    const caps = await raceAbort(this.#capabilities, options.signal);
    return { ...caps };
  }

  /** The mount and network policy, and the networks a config names, before anything is made. */
  async volumeDrivers(ctx: PrimitiveContext): Promise<string[]> {
    await this.capabilities(ctx);
    return [...this.#volumeDrivers];
  }

  /**
   * Only bridges: the isolation probe checks bridges, and macvlan or ipvlan would put containers
   * on the host's own network segment.
   */
  networkDrivers(): string[] {
    return ['bridge'];
  }

  /** Volume driver options can mount any host path (`local`: type=none,o=bind,device=/…). */
  checkVolume(config: VolumeConfig): ValidationIssue[] {
    if (config.options === undefined || Object.keys(config.options).length === 0) return [];
    return [
      {
        path: ['options'],
        message:
          'volume driver options are refused: with them a volume mounts any host path (type=none, o=bind, device=…), around allowedRoots; bind-mount the directory instead',
        stage: 'security',
      },
    ];
  }

  /** An internal network's bridge options are the driver's: they are what keeps the host off it. */
  checkNetwork(config: NetworkConfig): ValidationIssue[] {
    if (!config.internal) return [];
    return Object.keys(config.options ?? {})
      .filter((key) => key in INTERNAL_BRIDGE_OPTIONS || key.endsWith('enable_ip_masquerade'))
      .map((key) => ({
        path: ['options', key],
        message: 'set by the driver on internal networks (their isolation depends on it)',
        stage: 'security' as const,
      }));
  }

  unenforcedReason(feature: string): string | undefined {
    if (feature === 'networks') {
      return `internal networks would not keep the host off them here: ${this.#isolation?.reason ?? 'not verified'}`;
    }
    if (feature === 'volumeSize')
      return "the engine's local volume driver cannot limit a volume's size";
    return undefined;
  }

  async checkContainer(config: ContainerConfig, ctx: PrimitiveContext): Promise<ValidationIssue[]> {
    const issues: ValidationIssue[] = [];
    const collect = (check: () => void) => {
      try {
        check();
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        issues.push(...error.issues);
      }
    };
    collect(() => checkBindMounts(config, this.#policy));
    if (config.network !== undefined) {
      const managed = await this.#networkManaged(config.network, ctx.signal);
      if (managed === undefined) throw new NetworkNotFoundError(config.network);
      collect(() => checkNetwork(config, this.#policy, managed));
    }
    return issues;
  }

  async createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance> {
    const { signal, token } = ctx;
    const ownership = { sessionId: config.sessionId, tenantId: config.tenantId };
    const labels = { ...ctx.labels };
    const caps = await this.capabilities(ctx);
    const body = toCreateOptions(config, {
      labels,
      applyDisk: caps.disk,
      logDriver: this.#logDriver,
      logOptions: this.#logOptions,
      init: this.#init,
    });

    // A container mounts only its own session's volumes; one that does not exist yet is made
    // here, labelled (the engine would make it unlabelled, and cleanup would never find it),
    // once every check has passed, and removed again if the container is not made after all.
    const missing: string[] = [];
    for (const mount of config.volumes) {
      if (mount.type !== 'volume' || missing.includes(mount.source)) continue;
      const existing = await this.#volumeLabels(mount.source, signal);
      if (existing === undefined) missing.push(mount.source);
      else if (
        !isManaged(existing) ||
        existing[LABEL.session] !== config.sessionId ||
        existing[LABEL.tenant] !== config.tenantId
      ) {
        throw new ConfigurationError(
          `Volume '${mount.source}' belongs to another session (or was not made by Berth): a container mounts only its own session's volumes. Create the volume with sessionId '${config.sessionId}', or use another name.`,
          [
            {
              path: ['volumes'],
              message: `volume '${mount.source}' belongs to another session`,
              stage: 'security',
            },
          ],
        );
      }
    }
    try {
      for (const name of missing) {
        await this.#call(
          {
            method: 'POST',
            path: '/volumes/create',
            // The call's label too: a create aborted in flight may still be done by the
            // engine, and only the label finds it then. (A volume someone else made meanwhile
            // comes back as it is, without it, and is never removed here.)
            body: {
              Name: name,
              Labels: berthLabels(this.#labels, {}, { ...ownership, token }),
            },
            signal,
          },
          { kind: 'volume', op: 'create', id: name },
        );
      }
      const created = await this.#call<{ Id: string }>(
        { method: 'POST', path: '/containers/create', query: { name: config.name }, body, signal },
        { kind: 'container', op: 'create', name: config.name, cpu: config.resources.cpu },
      );
      this.#managed.add(created.Id);
      return toInstance(await this.#inspectOrThrow(created.Id, signal));
    } catch (error) {
      // Aborted or failed once a request may have reached the engine: whatever it made for
      // this call goes, found by the call's own label (no signal: the caller's has fired).
      await this.#removeMadeBy(token);
      throw error;
    }
  }

  async startContainer(id: string, options: PrimitiveContext): Promise<void> {
    await this.#requireManaged(id, options.signal);
    // 304: already running, which the contract makes a no-op.
    await this.#call(
      { method: 'POST', path: this.#path(id, '/start'), ok: [204, 304], signal: options.signal },
      { kind: 'container', op: 'start', id },
    );
  }

  async stopContainer(
    id: string,
    options: ParsedStopOptions,
    ctx: PrimitiveContext,
  ): Promise<void> {
    const { signal } = ctx;
    await this.#requireManaged(id, signal);
    if (options.force) {
      try {
        await this.#call(
          { method: 'POST', path: this.#path(id, '/kill'), query: { signal: 'SIGKILL' }, signal },
          { kind: 'container', op: 'stop', id },
        );
      } catch (error) {
        // 409: not running, so already stopped.
        if (statusOf((error as { cause?: unknown }).cause) !== 409) throw error;
        return;
      }
      // A kill returns once the signal is sent; stop's promise is that it has ended.
      await this.#call(
        {
          method: 'POST',
          path: this.#path(id, '/wait'),
          query: { condition: 'not-running' },
          signal,
        },
        { kind: 'container', op: 'stop', id },
      );
      return;
    }
    await this.#call(
      {
        method: 'POST',
        path: this.#path(id, '/stop'),
        query: { t: options.timeout },
        ok: [204, 304],
        signal,
      },
      { kind: 'container', op: 'stop', id },
    );
  }

  async restartContainer(
    id: string,
    options: ParsedStopOptions,
    ctx: PrimitiveContext,
  ): Promise<void> {
    await this.#requireManaged(id, ctx.signal);
    await this.#call(
      {
        method: 'POST',
        path: this.#path(id, '/restart'),
        query: { t: options.force ? 0 : options.timeout },
        signal: ctx.signal,
      },
      { kind: 'container', op: 'start', id },
    );
  }

  async removeContainer(
    id: string,
    options: ParsedRemoveOptions,
    ctx: PrimitiveContext,
  ): Promise<void> {
    await this.#requireManaged(id, ctx.signal);
    try {
      await this.#call(
        {
          method: 'DELETE',
          path: this.#path(id),
          query: { force: options.force, v: options.volumes },
          signal: ctx.signal,
        },
        { kind: 'container', op: 'remove', id },
      );
    } catch (error) {
      // Another remove of it is under way: the outcome both asked for, once it is gone.
      if (!removalInProgress(error)) throw error;
      await this.#untilGone(id, ctx.signal);
    } finally {
      this.#managed.delete(id);
    }
  }

  /** Waits (bounded) until the engine no longer knows the container. */
  async #untilGone(id: string, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      try {
        await this.#call(
          { method: 'GET', path: this.#path(id, '/json'), signal },
          { kind: 'container', op: 'other', id },
        );
      } catch (error) {
        if (error instanceof ContainerNotFoundError) return;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new ContainerRemoveError(id, 'another removal of it did not finish within 30 s', {
      retryable: true,
    });
  }

  async getContainer(id: string, options: PrimitiveContext): Promise<ContainerInstance | null> {
    const info = await this.#inspect(id, options.signal);
    return info ? toInstance(info) : null;
  }

  async listContainers(
    wanted: ContainerFilter,
    options: PrimitiveContext,
  ): Promise<ContainerInstance[]> {
    const { signal } = options;
    const labels: string[] = [];
    if (wanted.sessionId !== undefined) labels.push(`${LABEL.session}=${wanted.sessionId}`);
    if (wanted.tenantId !== undefined) labels.push(`${LABEL.tenant}=${wanted.tenantId}`);
    for (const [key, value] of Object.entries(wanted.label ?? {})) {
      labels.push(value === true ? key : `${key}=${value}`);
    }
    const summaries = await this.#call<EngineContainerSummary[]>(
      {
        method: 'GET',
        path: '/containers/json',
        query: { all: true, filters: labelFilter(labels) },
        signal,
      },
      { kind: 'engine' },
    );
    // The summary lacks start time, exit code, health and limits: inspect each for the full view.
    const infos = await Promise.all(summaries.map((summary) => this.#inspect(summary.Id, signal)));
    const statuses = oneOrMany(wanted.status);
    const states = oneOrMany(wanted.state);
    return infos
      .filter((info): info is Dockerode.ContainerInspectInfo => info !== null)
      .map(toInstance)
      .filter(
        (instance) =>
          (!statuses || statuses.includes(instance.status)) &&
          (!states || states.includes(instance.state)),
      );
  }

  async #logResponse(
    id: string,
    options: GetLogsOptions,
    follow: boolean,
    timestamps?: boolean,
    since?: string,
  ): Promise<IncomingMessage> {
    await this.#requireManaged(id, options.signal, 'reads');
    const query = logQuery(options, timestamps === undefined ? { follow } : { follow, timestamps });
    if (since !== undefined) query.since = since;
    return this.#stream(
      {
        method: 'GET',
        path: this.#path(id, '/logs'),
        query,
        signal: options.signal,
      },
      { kind: 'container', op: 'other', id },
    );
  }

  /**
   * The engine applies `tail` to both streams together and only then drops the one not asked
   * for, so "the last 2 lines of stdout" can come back short, or empty. For one stream, find
   * where its last `tail` messages begin and read from there. `null`: it has none.
   */
  async #tailWindow(
    id: string,
    options: GetLogsOptions,
  ): Promise<{ options: GetLogsOptions; since?: string | undefined } | null> {
    const { tail } = options;
    const single = (options.stdout === false) !== (options.stderr === false);
    if (tail === undefined || tail === 0 || !single) return { options };
    const stream = options.stdout === false ? 'stderr' : 'stdout';
    const rest = { ...options, tail: undefined };
    for (let window = Math.max(64, tail * 2); ; window *= 4) {
      const response = await this.#logResponse(
        id,
        { ...options, stdout: true, stderr: true, tail: window },
        false,
        true,
      );
      const { stamps, messages } = await messageStamps(response, stream).catch((error) => {
        throw mapEngineError(error, { kind: 'container', op: 'other', id });
      });
      if (stamps.length >= tail) {
        return { options: rest, since: stampToSince(stamps[stamps.length - tail] ?? '') };
      }
      // Fewer messages than asked for: that was the whole log.
      if (messages < window) {
        return stamps.length === 0 ? null : { options: rest, since: stampToSince(stamps[0] ?? '') };
      }
    }
  }

  async getContainerLogs(id: string, parsed: LogOptions, ctx: PrimitiveContext): Promise<string> {
    const options: GetLogsOptions = { ...parsed, signal: ctx.signal };
    if (options.stdout === false && options.stderr === false) {
      await this.#requireManaged(id, options.signal, 'reads');
      return '';
    }
    const window = await this.#tailWindow(id, options);
    if (!window) return '';
    return collectText(await this.#logResponse(id, window.options, false, undefined, window.since));
  }

  /** Output as raw bytes per stream: byte-exact even when the program writes binary. */
  async getContainerLogBuffers(
    id: string,
    parsed: LogOptions,
    ctx: PrimitiveContext,
  ): Promise<LogBuffers> {
    const options: GetLogsOptions = { ...parsed, signal: ctx.signal };
    const empty = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
    if (options.stdout === false && options.stderr === false) {
      await this.#requireManaged(id, options.signal, 'reads');
      return empty;
    }
    const window = await this.#tailWindow(id, options);
    if (!window) return empty;
    return collectStreams(
      await this.#logResponse(id, window.options, false, undefined, window.since),
    );
  }

  async *streamLogs(
    id: string,
    parsed: ParsedLogOptions,
    ctx: PrimitiveContext,
  ): AsyncGenerator<LogLine> {
    const options: StreamLogsOptions = { ...parsed, signal: ctx.signal };
    const { signal } = options;
    if (options.stdout === false && options.stderr === false) {
      await this.#requireManaged(id, signal, 'reads');
      return;
    }
    const lines = new LineAssembler();
    try {
      const window = (await this.#tailWindow(id, options)) ?? { options: { ...options, tail: 0 } };
      // Timestamps always: every line carries the time the engine recorded it, and they let
      // a follow resume exactly after the last message delivered.
      const first = await this.#logResponse(id, window.options, false, true, window.since);
      yield* this.#readLines(first, lines, signal);
      if (options.follow === true && !signal?.aborted) {
        const since = options.since === undefined ? undefined : new Date(options.since).getTime();
        yield* followLog(this.#followSource(id, signal), lines, {
          wanted: (stream) => (stream === 'stdout' ? options.stdout : options.stderr) !== false,
          since: window.since ?? (since === undefined ? undefined : engineTime(since)),
          sinceMs: since,
          signal,
        });
      }
      if (!signal?.aborted) yield* lines.flush();
    } catch (error) {
      // Aborting is how a follower says it has seen enough: the stream simply ends.
      if (signal?.aborted || isAbortError(error)) return;
      throw mapEngineError(error, { kind: 'container', op: 'other', id });
    }
  }

  #followSource(id: string, signal: AbortSignal | undefined): FollowSource {
    return {
      containerId: id,
      read: ({ tail, since }) =>
        this.#stream(
          {
            method: 'GET',
            path: this.#path(id, '/logs'),
            query: {
              stdout: true,
              stderr: true,
              timestamps: true,
              follow: false,
              tail: tail ?? 'all',
              since,
            },
            signal,
          },
          { kind: 'container', op: 'other', id },
        ),
      running: async () => (await this.#inspectOrThrow(id, signal)).State.Running === true,
    };
  }

  async *#readLines(
    response: IncomingMessage,
    lines: LineAssembler,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<LogLine> {
    const frames = new FrameDecoder();
    try {
      for await (const chunk of response) {
        for (const piece of frames.push(chunk as Buffer)) {
          for (const line of lines.push(piece)) {
            // Lines already parsed from this chunk are not handed out after an abort.
            if (signal?.aborted) return;
            yield line;
          }
        }
      }
    } finally {
      response.destroy();
    }
  }

  async waitContainer(id: string, options: PrimitiveContext): Promise<WaitResult> {
    const { signal } = options;
    await this.#requireManaged(id, signal, 'reads');
    const result = await this.#call<{ StatusCode: number }>(
      {
        method: 'POST',
        path: this.#path(id, '/wait'),
        query: { condition: 'not-running' },
        signal,
      },
      { kind: 'container', op: 'other', id },
    );
    const info = await this.#inspectOrThrow(id, signal);
    return { exitCode: result.StatusCode, oomKilled: info.State.OOMKilled === true };
  }

  async exec(
    id: string,
    argv: string[],
    checked: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult> {
    const callerSignal = ctx.signal;
    const timeout = checked.timeout;
    const signal =
      timeout === undefined
        ? callerSignal
        : AbortSignal.any([...(callerSignal ? [callerSignal] : []), AbortSignal.timeout(timeout)]);
    await this.#requireManaged(id, signal);
    const what: EngineOperation = { kind: 'container', op: 'other', id };
    try {
      const body: Record<string, unknown> = {
        Cmd: argv,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: false,
        Tty: false,
      };
      if (checked.env) body.Env = Object.entries(checked.env).map(([k, v]) => `${k}=${v}`);
      if (checked.cwd) body.WorkingDir = checked.cwd;
      if (checked.user) body.User = checked.user;
      const created = await this.#call<{ Id: string }>(
        { method: 'POST', path: this.#path(id, '/exec'), body, signal },
        what,
      );
      const response = await this.#stream(
        {
          method: 'POST',
          path: `/exec/${created.Id}/start`,
          body: { Detach: false, Tty: false },
          signal,
        },
        what,
      );
      const output = await collectStreams(response).catch((error: unknown) => {
        throw mapEngineError(error, what);
      });
      const inspected = await this.#call<{ ExitCode: number | null }>(
        { method: 'GET', path: `/exec/${created.Id}/json`, signal },
        what,
      );
      return {
        exitCode: inspected.ExitCode ?? -1,
        stdout: output.stdout.toString('utf8'),
        stderr: output.stderr.toString('utf8'),
      };
    } catch (error) {
      if (timeout !== undefined && !callerSignal?.aborted && signal?.aborted) {
        throw new TimeoutError('exec', timeout, { cause: error });
      }
      throw error;
    }
  }

  async getContainerStats(id: string, options: PrimitiveContext): Promise<ContainerStats> {
    await this.#requireManaged(id, options.signal, 'reads');
    const stats = await this.#call<EngineStats>(
      {
        method: 'GET',
        path: this.#path(id, '/stats'),
        query: { stream: false },
        signal: options.signal,
      },
      { kind: 'container', op: 'other', id },
    );
    return toContainerStats(stats);
  }

  async healthCheck(options: PrimitiveContext): Promise<DriverHealth> {
    const { signal } = options;
    signal?.throwIfAborted();
    const uptime = (Date.now() - this.#startedAt) / 1000;
    try {
      const [version, summaries] = await Promise.all([
        this.#call<{ Version: string }>(
          { method: 'GET', path: '/version', signal },
          { kind: 'engine' },
        ),
        this.#call<EngineContainerSummary[]>(
          {
            method: 'GET',
            path: '/containers/json',
            query: { all: true, filters: labelFilter() },
            signal,
          },
          { kind: 'engine' },
        ),
      ]);
      const running = summaries.filter((c) => c.State === 'running').length;
      return {
        status: 'healthy',
        version: version.Version,
        uptime,
        containers: { total: summaries.length, running, stopped: summaries.length - running },
      };
    } catch (error) {
      if (signal?.aborted || isAbortError(error)) throw error;
      return {
        status: 'unhealthy',
        version: 'unknown',
        uptime,
        containers: { total: 0, running: 0, stopped: 0 },
        error: getErrorMessage(error),
      };
    }
  }

  async isContainerHealthy(id: string, options: PrimitiveContext): Promise<boolean> {
    options.signal?.throwIfAborted();
    const info = await this.#inspectOrThrow(id, options.signal);
    if (info.State.Status !== 'running') return false;
    const health = info.State.Health?.Status;
    return health === undefined || health === 'none' || health === 'healthy';
  }

  async createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume> {
    const { signal } = ctx;
    const labels = { ...ctx.labels };
    const what: EngineOperation = { kind: 'volume', op: 'create', id: config.name };
    const volume = await this.#call<EngineVolume>(
      {
        method: 'POST',
        path: '/volumes/create',
        body: { Name: config.name, Driver: config.driver ?? 'local', Labels: labels },
        signal,
      },
      what,
    );
    // The engine answers a create of an existing name with that volume: make sure it is ours.
    const existing = volume.Labels ?? {};
    if (!isManaged(existing) || existing[LABEL.session] !== labels[LABEL.session]) {
      throw new ConflictError(`Volume ${config.name} already exists and belongs to something else`);
    }
    return toVolume(volume);
  }

  /**
   * Removes every container one create call made (see LABEL.create). Looked up again a moment
   * later: an engine may finish a create whose client has already gone.
   */
  async #removeMadeBy(token: string): Promise<void> {
    for (const delay of [0, 200, 600]) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      await this.#removeMadeOnce(token);
    }
  }

  async #removeMadeOnce(token: string): Promise<void> {
    try {
      const made = await this.#call<EngineContainerSummary[]>(
        {
          method: 'GET',
          path: '/containers/json',
          query: { all: true, filters: labelFilter([`${LABEL.create}=${token}`]) },
        },
        { kind: 'engine' },
      );
      for (const container of made) {
        await this.#call(
          { method: 'DELETE', path: this.#path(container.Id), query: { force: true, v: true } },
          { kind: 'container', op: 'remove', id: container.Id },
        ).catch(() => undefined);
        this.#managed.delete(container.Id);
      }
      // Volumes after the containers that may mount them.
      const volumes = await this.#call<{ Volumes: EngineVolume[] | null }>(
        {
          method: 'GET',
          path: '/volumes',
          query: { filters: labelFilter([`${LABEL.create}=${token}`]) },
        },
        { kind: 'engine' },
      );
      for (const volume of volumes.Volumes ?? []) {
        await this.#call(
          { method: 'DELETE', path: `/volumes/${encodeURIComponent(volume.Name)}` },
          { kind: 'volume', op: 'remove', id: volume.Name },
        ).catch(() => undefined);
      }
    } catch {
      // The engine is unreachable: cleanup({ sessionId }) finds it later by its session label.
    }
  }

  /** A volume's labels; undefined when there is no such volume. */
  async #volumeLabels(
    name: string,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, string> | undefined> {
    try {
      const volume = await this.#call<EngineVolume>(
        { method: 'GET', path: `/volumes/${encodeURIComponent(name)}`, signal },
        { kind: 'volume', op: 'other', id: name },
      );
      return volume.Labels ?? {};
    } catch (error) {
      if (error instanceof VolumeNotFoundError) return undefined;
      throw error;
    }
  }

  /** Whether a network was made by this driver; undefined when there is no such network. */
  async #networkManaged(
    name: string,
    signal: AbortSignal | undefined,
  ): Promise<boolean | undefined> {
    if (name === 'host' || name.startsWith('container:') || !isObjectId(name)) return false;
    try {
      const network = await this.#call<EngineNetwork>(
        { method: 'GET', path: `/networks/${encodeURIComponent(name)}`, signal },
        { kind: 'network', op: 'other', id: name },
      );
      return isManaged(network.Labels);
    } catch (error) {
      if (error instanceof NetworkNotFoundError) return undefined;
      throw error;
    }
  }

  async #requireVolume(id: string, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    requireObjectId(id, 'volume');
    const volume = await this.#call<EngineVolume>(
      { method: 'GET', path: `/volumes/${encodeURIComponent(id)}`, signal },
      { kind: 'volume', op: 'other', id },
    );
    if (!isManaged(volume.Labels)) throw new VolumeNotFoundError(id);
  }

  async removeVolume(id: string, options: PrimitiveContext): Promise<void> {
    await this.#requireVolume(id, options.signal);
    await this.#call(
      { method: 'DELETE', path: `/volumes/${encodeURIComponent(id)}`, signal: options.signal },
      { kind: 'volume', op: 'remove', id },
    );
  }

  async listVolumes(options: PrimitiveContext): Promise<Volume[]> {
    return (await this.#volumes([], options.signal)).map(toVolume);
  }

  async #volumes(labels: string[], signal: AbortSignal | undefined): Promise<EngineVolume[]> {
    signal?.throwIfAborted();
    const reply = await this.#call<{ Volumes: EngineVolume[] | null }>(
      { method: 'GET', path: '/volumes', query: { filters: labelFilter(labels) }, signal },
      { kind: 'engine' },
    );
    return reply.Volumes ?? [];
  }

  /**
   * The isolation probe's answer: once per engine address and process (drivers of one
   * application share it), once per driver for an injected client.
   */
  #probeIsolation(): Promise<{ isolated: boolean; reason?: string }> {
    if (this.#options.docker) return probeInternalIsolation(this.#networkCalls());
    const address = JSON.stringify(CONNECTION_KEYS.map((key) => this.#options[key] ?? null));
    let probe = ISOLATION_PROBES.get(address);
    if (!probe) {
      probe = probeInternalIsolation(this.#networkCalls());
      ISOLATION_PROBES.set(address, probe);
    }
    return probe;
  }

  /** The three calls the isolation probe makes, through the same door as every other. */
  #networkCalls(): NetworkCalls {
    return {
      create: (body) =>
        this.#call<{ Id: string }>(
          { method: 'POST', path: '/networks/create', body },
          { kind: 'network', op: 'create', id: String(body.Name) },
        ),
      inspect: (id) =>
        this.#call<EngineNetwork>(
          { method: 'GET', path: `/networks/${encodeURIComponent(id)}` },
          { kind: 'network', op: 'other', id },
        ),
      remove: (id) =>
        this.#call<void>(
          { method: 'DELETE', path: `/networks/${encodeURIComponent(id)}` },
          { kind: 'network', op: 'remove', id },
        ),
    };
  }

  async createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network> {
    const { signal } = ctx;
    const labels = { ...ctx.labels };
    const created = await this.#call<{ Id: string }>(
      {
        method: 'POST',
        path: '/networks/create',
        body: {
          Name: config.name,
          CheckDuplicate: true,
          Driver: config.driver ?? 'bridge',
          Internal: config.internal,
          // No address on the host's side of an internal bridge: the host is not on it.
          Options: { ...config.options, ...(config.internal ? INTERNAL_BRIDGE_OPTIONS : {}) },
          Labels: labels,
        },
        signal,
      },
      { kind: 'network', op: 'create', id: config.name },
    );
    return toNetwork(
      await this.#call<EngineNetwork>(
        { method: 'GET', path: `/networks/${created.Id}`, signal },
        { kind: 'network', op: 'other', id: created.Id },
      ),
    );
  }

  async removeNetwork(id: string, options: PrimitiveContext): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    requireObjectId(id, 'network');
    const network = await this.#call<EngineNetwork>(
      { method: 'GET', path: `/networks/${encodeURIComponent(id)}`, signal },
      { kind: 'network', op: 'other', id },
    );
    if (!isManaged(network.Labels)) throw new NetworkNotFoundError(id);
    await this.#call(
      { method: 'DELETE', path: `/networks/${network.Id}`, signal },
      { kind: 'network', op: 'remove', id },
    );
  }

  async listNetworks(options: PrimitiveContext): Promise<Network[]> {
    return (await this.#networks([], options.signal)).map(toNetwork);
  }

  async #networks(labels: string[], signal: AbortSignal | undefined): Promise<EngineNetwork[]> {
    signal?.throwIfAborted();
    return this.#call<EngineNetwork[]>(
      { method: 'GET', path: '/networks', query: { filters: labelFilter(labels) }, signal },
      { kind: 'engine' },
    );
  }

  /**
   * Removes every container, network and volume of a session, whichever process made them and
   * whether or not it is still alive: the engine's labels are the only record needed.
   */
  async cleanup(filter: CleanupFilter, ctx: PrimitiveContext): Promise<CleanupResult> {
    const { signal } = ctx;
    const session: string[] = [];
    if ('sessionId' in filter && filter.sessionId !== undefined) {
      session.push(`${LABEL.session}=${filter.sessionId}`);
    }
    if ('tenantId' in filter && filter.tenantId !== undefined) {
      session.push(`${LABEL.tenant}=${filter.tenantId}`);
    }
    const ignoreGone = (error: unknown) => {
      if (statusOf((error as { cause?: unknown }).cause) !== 404) throw error;
    };

    const containers = await this.#call<EngineContainerSummary[]>(
      {
        method: 'GET',
        path: '/containers/json',
        query: { all: true, filters: labelFilter(session) },
        signal,
      },
      { kind: 'engine' },
    );
    await Promise.all(
      containers.map((c) =>
        this.#call(
          { method: 'DELETE', path: this.#path(c.Id), query: { force: true, v: true }, signal },
          { kind: 'container', op: 'remove', id: c.Id },
        )
          .then(() => this.#managed.delete(c.Id))
          .catch(ignoreGone),
      ),
    );
    // Networks and volumes after the containers: the engine refuses to remove them while in use.
    const networks = await this.#networks(session, signal);
    await Promise.all(
      networks.map((n) =>
        this.#call(
          { method: 'DELETE', path: `/networks/${n.Id}`, signal },
          { kind: 'network', op: 'remove', id: n.Id },
        ).catch(ignoreGone),
      ),
    );
    const volumes = await this.#volumes(session, signal);
    await Promise.all(
      volumes.map((v) =>
        this.#call(
          { method: 'DELETE', path: `/volumes/${encodeURIComponent(v.Name)}`, signal },
          { kind: 'volume', op: 'remove', id: v.Name },
        ).catch(ignoreGone),
      ),
    );
    return { containers: containers.length, networks: networks.length, volumes: volumes.length };
  }
}

/**
 * The Docker driver: Engine API primitives under the kit, which validates every input, decides
 * enforcement, stamps labels and checks signals. Construct it with the engine's address (or
 * none, for DOCKER_HOST or the default socket) and the policy options below.
 */
export class DockerDriver extends KitDriver {
  readonly #engine: DockerEngine;

  constructor(options: DockerDriverOptions = {}) {
    const engine = new DockerEngine(options);
    super(engine, {
      ...(options.enforcement === undefined ? {} : { enforcement: options.enforcement }),
      ...(options.labels === undefined ? {} : { labels: options.labels }),
      allowRoot: options.allowRoot === true,
    });
    this.#engine = engine;
  }

  /** Output as raw bytes per stream: byte-exact even when the program writes binary. */
  async getContainerLogBuffers(id: string, options: GetLogsOptions = {}): Promise<LogBuffers> {
    const signal = callSignal(options, 'log options');
    signal?.throwIfAborted();
    if (!isObjectId(id)) throw new ContainerNotFoundError(id);
    return this.#engine.getContainerLogBuffers(id, parseLogOptions(options), { signal });
  }
}
