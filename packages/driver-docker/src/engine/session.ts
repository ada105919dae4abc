import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ContainerNotFoundError, isObjectId, requireObjectId } from '@berth/core';
import type Dockerode from 'dockerode';
import type { DockerDriverOptions } from '../docker-driver.js';
import { DRIVER_NAME } from '../identity.js';
import { parseLogDriverOptions } from '../mapping/create-options.js';
import { ownedBy } from '../mapping/labels.js';
import type { CreatePolicy } from '../policy/create-policy.js';
import { SpawnRegistry } from '../processes/registry.js';
import { EngineClient, type EngineRequest } from './client.js';
import { CONNECTION_KEYS } from './connection.js';
import { type EngineOperation, mapEngineError } from './error-mapping.js';
import { plainSocketPath, socketClient } from './socket-modem.js';
import { dockerStateDir } from './state-dir.js';

/**
 * One driver's hold on the engine: the client, the settings every operation reads, and the
 * calls they all make through it. The per-concern modules take it as their first argument.
 */
export class EngineSession {
  /** The driver's default labels, for what it makes outside the kit (a create's volumes). */
  readonly labels: Record<string, string>;
  readonly logDriver: string | null;
  readonly logOptions: Record<string, string>;
  readonly init: boolean;
  readonly policy: CreatePolicy;
  readonly startedAt = Date.now();
  // Ids already seen carrying berth.managed. Labels never change after create, so a positive
  // answer stays true; it saves one inspect per call on the hot path.
  readonly managed = new Set<string>();
  /** The processes this instance spawned or found: the engine forgets an exec's id once it ends. */
  readonly processes = new SpawnRegistry();

  /** Where this driver keeps what outlives a process (lifetimes, the probe's answer). */
  readonly stateDir: string;
  readonly #options: DockerDriverOptions;
  #client: Promise<EngineClient> | undefined;

  /**
   * The driver whose objects this session sees (`berth.driver`): the Docker driver's own, or,
   * for a swarm's node engine, the swarm driver's task containers.
   */
  readonly owner: string;

  constructor(options: DockerDriverOptions, owner: string = DRIVER_NAME) {
    this.#options = options;
    this.owner = owner;
    this.stateDir = dockerStateDir(options);
    this.labels = { ...options.labels };
    this.logDriver = options.logDriver === undefined ? 'local' : options.logDriver;
    this.logOptions = parseLogDriverOptions(options.logOptions, this.logDriver);
    this.init = options.init ?? true;
    this.policy = {
      allowedRoots: [...(options.allowedRoots ?? [])],
      allowNetworks: [...(options.allowNetworks ?? [])],
    };
    if (options.docker) this.#client = Promise.resolve(new EngineClient(options.docker));
  }

  /**
   * Where the engine is, as a key for what is probed once per engine; undefined for an injected
   * client, whose engine the options do not tell. Read when asked: the options are the caller's.
   */
  address(): string | undefined {
    if (this.#options.docker) return undefined;
    return JSON.stringify(CONNECTION_KEYS.map((key) => this.#options[key] ?? null));
  }

  // An engine on a Unix socket is reached over node:http (socket-modem.ts); dockerode (and its
  // gRPC and SSH dependencies) loads on first use of any other kind of engine, not on import.
  #engine(): Promise<EngineClient> {
    const socketPath = plainSocketPath(this.#options as Record<string, unknown>);
    if (socketPath !== undefined) {
      this.#client ??= Promise.resolve(
        new EngineClient(socketClient(socketPath, this.#options.version, this.#options.timeout)),
      );
    }
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

  async call<T>(request: EngineRequest, what: EngineOperation): Promise<T> {
    const engine = await this.#engine();
    try {
      return await engine.json<T>(request);
    } catch (error) {
      throw mapEngineError(error, what);
    }
  }

  async stream(request: EngineRequest, what: EngineOperation): Promise<IncomingMessage> {
    const engine = await this.#engine();
    try {
      return await engine.stream(request);
    } catch (error) {
      throw mapEngineError(error, what);
    }
  }

  /** An upgraded connection: see EngineClient.hijack. */
  async hijack(request: EngineRequest, what: EngineOperation): Promise<Duplex> {
    const engine = await this.#engine();
    try {
      return await engine.hijack(request);
    } catch (error) {
      throw mapEngineError(error, what);
    }
  }

  /** Whether the engine may run on this host, so its processes may be seen here. */
  async onThisHost(): Promise<boolean> {
    return (await this.#engine()).onThisHost();
  }

  /** A managed container's inspect; null when there is none by that id (or it is not ours). */
  async inspect(
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Dockerode.ContainerInspectInfo | null> {
    // What cannot be an id is not one: no request is made for it.
    if (!isObjectId(id)) return null;
    try {
      const info = await this.call<Dockerode.ContainerInspectInfo>(
        { method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, signal },
        { kind: 'container', op: 'other', id },
      );
      if (!ownedBy(info.Config.Labels, this.owner)) return null;
      // Only the full id is remembered: a name or prefix can come to mean another container
      // (removed outside Berth, a foreign one made under the same name), so it is looked up
      // every time.
      this.managed.add(info.Id);
      return info;
    } catch (error) {
      if (error instanceof ContainerNotFoundError) return null;
      throw error;
    }
  }

  async inspectOrThrow(
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Dockerode.ContainerInspectInfo> {
    const info = await this.inspect(id, signal);
    if (!info) throw new ContainerNotFoundError(id);
    return info;
  }

  /**
   * Throws ContainerNotFoundError unless `id` is a container this driver (any instance) made.
   * An id that cannot be one is a ConfigurationError for a call that would change something,
   * and not found for one that only reads.
   */
  async requireManaged(
    id: string,
    signal: AbortSignal | undefined,
    change: 'changes' | 'reads' = 'changes',
  ): Promise<void> {
    signal?.throwIfAborted();
    if (change === 'changes') requireObjectId(id, 'container');
    if (!this.managed.has(id)) await this.inspectOrThrow(id, signal);
  }

  /** A container's API path, `action` (e.g. `/start`) appended. */
  path(id: string, action = ''): string {
    return `/containers/${encodeURIComponent(id)}${action}`;
  }
}
