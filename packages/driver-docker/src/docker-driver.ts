import {
  ContainerNotFoundError,
  callSignal,
  type EnforcementMode,
  type GetLogsOptions,
  isObjectId,
  parseLogOptions,
} from '@berth/core';
import { KitDriver } from '@berth/core/kit';
import type { DockerClient, DockerConnectionOptions } from './engine/connection.js';
import { DockerEngine } from './engine/docker-engine.js';

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
  /**
   * Where lifetime records (extensions, last use) and the keeper's lock and log are kept.
   * Default: `$XDG_STATE_HOME/berth/docker/<engine>` (`~/.local/state/…`), one per engine.
   */
  stateDir?: string;
}

/** Both output streams of a container, as raw bytes. */
export interface LogBuffers {
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * The Docker driver: Engine API primitives under the kit, which validates every input, decides
 * enforcement, stamps labels and checks signals. Construct it with the engine's address (or
 * none, for DOCKER_HOST or the default socket) and the policy options of DockerDriverOptions.
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
