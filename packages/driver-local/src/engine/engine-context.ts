import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigurationError, type EnforcementMode, type ExecResult } from '@berth/core';
import type { execa as Execa } from 'execa';
import { ContainerCatalog } from '../containers/container-catalog.js';
import {
  type InContainerContext,
  type InContainerOptions,
  runInContainer,
} from '../containers/container-exec.js';
import { HealthWatch } from '../containers/container-health.js';
import { ContainerLauncher } from '../containers/container-launch.js';
import type { ContainerSnapshot } from '../containers/container-snapshot.js';
import { StatsSampler } from '../containers/container-stats.js';
import { ContainerStopper } from '../containers/container-stop.js';
import { KeyedLock } from '../containers/keyed-lock.js';
import { DRIVER_NAME } from '../driver-name.js';
import { cachedFingerprint } from '../host/fingerprint-cache.js';
import { fingerprintHost, type HostFingerprint } from '../host/host-fingerprint.js';
import { ContainerIdentities } from '../isolation/container-identities.js';
import { checkIdentityRange, DEFAULT_IDENTITY_RANGE } from '../isolation/identities.js';
import { resolveAllowedRoots } from '../isolation/mounts.js';
import { prepareSandboxEtc } from '../isolation/sandbox-etc.js';
import type { LocalDriverOptions } from '../local-driver-options.js';
import { ContainerProcesses } from '../processes/container-processes.js';
import { SpareDirectories } from '../state/spare-dirs.js';
import { StateLayout } from '../state/state-layout.js';
import { Trash } from '../state/trash.js';
import { SupervisorPool } from '../supervisor/supervisor-pool.js';
import { NetworkStore } from '../volumes-networks/network-store.js';
import { VolumeStore } from '../volumes-networks/volume-store.js';
import { type WarmSandbox, WarmSandboxes } from '../warm/warm-sandboxes.js';

/** Host-wide state of drivers running as root (see LocalDriverOptions.hostStateDir). */
const DEFAULT_HOST_STATE_DIR = '/var/lib/berth';

function defaultStateDir(): string {
  const cache =
    process.env.XDG_CACHE_HOME ||
    (process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : join(homedir(), '.cache'));
  return join(cache, 'berth', 'local');
}

/** What the driver knows once it is ready: the host, and where bind mounts may come from. */
export interface HostReady {
  host: HostFingerprint;
  allowedRoots: string[];
}

/**
 * What the engine's parts share: the state directory and its stores, the supervisors, the warm
 * sandboxes, and the host as fingerprinted once, on first use. Made once per driver; the
 * per-concern modules (containers/, logs/, volumes-networks/) take it as their context.
 */
export class EngineContext {
  readonly layout: StateLayout;
  readonly enforcement: EnforcementMode;
  // execa takes ~120 ms to load: a one-shot run whose host fingerprint is cached never needs it.
  #execa: Promise<typeof Execa> | undefined;
  readonly pool: SupervisorPool;
  readonly volumes: VolumeStore;
  readonly networks: NetworkStore;
  /** Serialises operations per container, so a stop never races a start or a remove. */
  readonly locks = new KeyedLock();
  readonly sampler = new StatsSampler();
  readonly startedAt = Date.now();
  /** Where removed directories go, to be deleted off the hot path. */
  readonly trash: Trash;
  readonly spares: SpareDirectories;
  readonly warm: WarmSandboxes;
  /** Created containers holding a warm sandbox they have not started in yet. */
  readonly claimed = new Map<string, WarmSandbox>();
  readonly identities: ContainerIdentities;
  readonly catalog: ContainerCatalog;
  readonly health: HealthWatch;
  readonly launcher: ContainerLauncher;
  readonly stopper: ContainerStopper;
  readonly processes: ContainerProcesses;
  #ready: Promise<HostReady> | undefined;
  #lastHost: HostFingerprint | undefined;
  #etcDir: string | undefined;

  constructor(readonly options: LocalDriverOptions) {
    this.layout = new StateLayout(resolve(options.stateDir ?? defaultStateDir()));
    this.trash = new Trash(this.layout.trash);
    this.spares = new SpareDirectories(this.layout.spares, {
      target: 4,
      discard: (path) => this.trash.take(path),
    });
    this.enforcement = options.enforcement ?? 'strict';
    this.#execa = options.execa ? Promise.resolve(options.execa) : undefined;
    this.pool = new SupervisorPool({
      logFile: this.layout.supervisorLog,
      maxIdle: options.idleSupervisors ?? 2,
      perSupervisor: options.containersPerSupervisor ?? 16,
    });
    const warmSandboxes = options.warmSandboxes ?? 2;
    if (!Number.isInteger(warmSandboxes) || warmSandboxes < 0) {
      throw new ConfigurationError(
        `warmSandboxes must be a whole number of at least 0, got ${String(warmSandboxes)}`,
      );
    }
    const range = options.identityRange ?? DEFAULT_IDENTITY_RANGE;
    checkIdentityRange(range);
    this.identities = new ContainerIdentities(
      this.layout,
      join(this.hostDir(), 'identities'),
      range,
    );
    this.warm = new WarmSandboxes(this.layout.warm, this.pool, {
      target: warmSandboxes,
      trash: (path) => this.trash.take(path, 'warm'),
      forget: (id) => this.identities.forgetWarm(id),
    });
    this.catalog = new ContainerCatalog({
      layout: this.layout,
      ready: () => this.init(),
      // A re-attached driver takes over the health checks of running containers it finds.
      found: (snapshot) => this.health.resume(snapshot),
    });
    this.health = new HealthWatch({
      layout: this.layout,
      require: (id) => this.catalog.require(id),
      runIn: (snapshot, command, options) => this.runIn(snapshot, command, options),
    });
    this.launcher = new ContainerLauncher({
      layout: this.layout,
      pool: this.pool,
      warm: this.warm,
      claimed: this.claimed,
      ready: () => this.init(),
      etcDir: () => this.#etcDir,
      privateDirs: () => this.privateDirs(),
    });
    this.stopper = new ContainerStopper({
      layout: this.layout,
      pool: this.pool,
      stopTimeout: options.stopTimeout ?? 10,
      require: (id) => this.catalog.require(id),
      afterExit: (id) => this.health.stop(id),
    });
    this.processes = new ContainerProcesses({
      layout: this.layout,
      ready: () => this.init(),
      inContainer: (snapshot) => this.inContainer(snapshot),
    });
    this.volumes = new VolumeStore(this.layout, DRIVER_NAME, async () =>
      (await this.init()).host.setpriv.user ? this.identities.volumeGroups : undefined,
    );
    this.networks = new NetworkStore(this.layout, DRIVER_NAME, async () => {
      const { host } = await this.init();
      return { execa: await this.execa(), ...(host.networks.ip ? { ip: host.networks.ip } : {}) };
    });
  }

  /** execa, loaded on first use (or the one the options inject). */
  execa(): Promise<typeof Execa> {
    this.#execa ??= import('execa').then((m) => m.execa);
    return this.#execa;
  }

  /** Readies the state directory and fingerprints the host, once (again after a failure). */
  init(): Promise<HostReady> {
    this.#ready ??= (async () => {
      await this.layout.ensure();
      // Left by an earlier driver that died before it finished deleting them.
      this.trash.takeLeftovers();
      const [host, allowedRoots] = await Promise.all([
        cachedFingerprint(this.layout.root, this.options.isolation, async () =>
          fingerprintHost(await this.execa(), this.options.isolation),
        ),
        resolveAllowedRoots(this.options.allowedRoots ?? []),
      ]);
      this.#lastHost = host;
      // The sandbox's /etc, made once per host content (see sandbox-etc.ts).
      if (host.bubblewrap.works) {
        this.#etcDir = prepareSandboxEtc(join(this.hostDir(host), 'etc'));
      }
      // In the background: nothing here waits for what dead drivers left.
      void this.warm.sweep(host.cgroups);
      if (host.setpriv.user) setImmediate(() => this.identities.sweep()).unref();
      return { host, allowedRoots };
    })();
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  /** The host as last fingerprinted, for messages that cannot wait for it. */
  get lastHost(): HostFingerprint | undefined {
    return this.#lastHost;
  }

  /** The directory bound as every sandbox's /etc, once bubblewrap is known to run. */
  get etcDir(): string | undefined {
    return this.#etcDir;
  }

  /** Directories of this driver's own that no bind mount may show: its state, the host-wide state. */
  privateDirs(): string[] {
    return [this.layout.root, this.hostDir()];
  }

  /** Where state shared with the host's other drivers lives (see LocalDriverOptions.hostStateDir). */
  hostDir(host?: HostFingerprint): string {
    if (this.options.hostStateDir !== undefined) return resolve(this.options.hostStateDir);
    const root = host ? host.isRoot : process.getuid?.() === 0;
    return root ? DEFAULT_HOST_STATE_DIR : join(this.layout.root, 'host');
  }

  /** What putting a process into the container needs (exec, spawn, health checks). */
  async inContainer(snapshot: ContainerSnapshot): Promise<InContainerContext> {
    const { host } = await this.init();
    return { host, stateDir: this.layout.root, workDir: this.layout.workDir(snapshot.record.id) };
  }

  /** Runs a command inside a running container: an exec, or a health check. */
  async runIn(
    snapshot: ContainerSnapshot,
    command: string[],
    options: InContainerOptions,
  ): Promise<ExecResult> {
    return runInContainer(snapshot, command, options, {
      ...(await this.inContainer(snapshot)),
      execa: await this.execa(),
      hold: () => this.pool.hold(),
    });
  }
}
