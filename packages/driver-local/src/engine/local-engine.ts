import { randomUUID } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import {
  ConfigurationError,
  ConflictError,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerInstance,
  ContainerNotFoundError,
  ContainerRemoveError,
  type ContainerStats,
  type DriverCapabilities,
  type DriverHealth,
  type EnforcementMode,
  type ExecResult,
  isObjectId,
  type LogLine,
  type LogOptions,
  type Network,
  type NetworkConfig,
  NetworkNotFoundError,
  NetworkRemoveError,
  type OperationOptions,
  requireObjectId,
  UnsupportedFeatureError,
  type ValidationIssue,
  type Volume,
  type VolumeConfig,
  VolumeNotFoundError,
  VolumeRemoveError,
  type WaitResult,
} from '@berth/core';
import {
  berthLabels,
  type CreateContext,
  cleanupMatches,
  type DriverPrimitives,
  KitDriver,
  type ParsedExecOptions,
  type ParsedLogOptions,
  type ParsedRemoveOptions,
  type ParsedStopOptions,
  type PrimitiveContext,
} from '@berth/core/kit';
import { execa as defaultExeca } from 'execa';
import { type InContainerOptions, runInContainer } from '../containers/container-exec.js';
import { ContainerLauncher } from '../containers/container-launch.js';
import {
  containerEnvironment,
  limitsOf,
  planProcess,
  warmScriptOf,
} from '../containers/container-plan.js';
import {
  type ContainerRecord,
  type ContainerSnapshot,
  loadSnapshot,
  toInstance,
} from '../containers/container-record.js';
import { StatsSampler } from '../containers/container-stats.js';
import { ContainerStopper } from '../containers/container-stop.js';
import { HealthMonitor, type HealthRecord } from '../containers/health-monitor.js';
import { KeyedLock } from '../containers/keyed-lock.js';
import { refuseProgramName, refuseRootDriverWithoutUsers } from '../containers/local-policy.js';
import {
  capabilitiesOf,
  fingerprintHost,
  type HostFingerprint,
  type IsolationSettings,
} from '../host/host-fingerprint.js';
import {
  type ContainerCgroup,
  cgroupProcsFiles,
  containerCgroupOf,
  killCgroup,
  removeContainerCgroup,
  runCgroupName,
} from '../isolation/cgroups.js';
import { ContainerIdentities, PLACEHOLDER_ID } from '../isolation/container-identities.js';
import {
  checkIdentityRange,
  DEFAULT_IDENTITY_RANGE,
  type IdentityRange,
} from '../isolation/identities.js';
import { resolveAllowedRoots, resolveMounts } from '../isolation/mounts.js';
import { buildSandboxCommand, warmStub } from '../isolation/sandbox-command.js';
import { prepareSandboxEtc } from '../isolation/sandbox-etc.js';
import { boundHostDirs } from '../isolation/sandbox-view.js';
import {
  type ResolvedUser,
  refuseIdentityCapabilities,
  refuseRoot,
  resolveUser,
} from '../isolation/user-spec.js';
import { followLogs, formatLogLines, readLogLines, readLogs } from '../logs/log-files.js';
import { PACKAGE_VERSION } from '../package-version.js';
import {
  commitDraftSync,
  readJsonSync,
  StateLayout,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from '../state/json-files.js';
import { SPARE_CONTENTS, SpareDirectories } from '../state/spare-dirs.js';
import { Trash } from '../state/trash.js';
import { SupervisorPool } from '../supervisor/supervisor-pool.js';
import type { ExitRecord } from '../supervisor/supervisor-protocol.js';
import { NetworkStore } from '../volumes-networks/network-store.js';
import { VolumeStore } from '../volumes-networks/volume-store.js';
import { type WarmSandbox, WarmSandboxes } from '../warm/warm-sandboxes.js';

const DRIVER_NAME = 'local';
/** Host-wide state of drivers running as root (see LocalDriverOptions.hostStateDir). */
const DEFAULT_HOST_STATE_DIR = '/var/lib/berth';

export interface LocalDriverOptions {
  /** Where containers, logs, volumes and networks are kept. Default: `<cache dir>/berth/local`. */
  stateDir?: string;
  /** Host directories bind-mount sources must resolve into. Default: none (no bind mounts). */
  allowedRoots?: string[];
  /** `strict` (default) refuses configs asking for what this host cannot enforce. */
  enforcement?: EnforcementMode;
  /** Host mechanisms to use; each defaults to "if this host has it and it works". */
  isolation?: IsolationSettings;
  /** Names of the driver's own environment variables passed on to containers. Default: none. */
  inheritEnv?: string[];
  /** Seconds between SIGTERM and SIGKILL when stopContainer is given no timeout. Default: 10. */
  stopTimeout?: number;
  /** Idle supervisor processes kept ready for the next start. Default: 2. */
  idleSupervisors?: number;
  /** Containers one supervisor process runs at once. Default: 16. */
  containersPerSupervisor?: number;
  /**
   * Sandboxes kept built ahead of time for the next containers, shaped like the latest one
   * (see the README, "Warm sandboxes"). 0 builds every sandbox on start. Default: 2.
   */
  warmSandboxes?: number;
  /**
   * uids (and gids) handed to containers that keep the default user, one of its own each.
   * Default: 1 000 000 from 2 000 000 000. Containers that name a user may not name one in it.
   */
  identityRange?: IdentityRange;
  /**
   * Host-wide state shared by every driver on the host: the registry of identities handed out
   * (`identities/`, so that no two containers, whatever their stateDir, get the same one) and
   * the sandbox's /etc (`etc/`). Default: /var/lib/berth as root, `<stateDir>/host` otherwise.
   */
  hostStateDir?: string;
  /** The execa function (injectable for tests). */
  execa?: typeof defaultExeca;
}

/** What `cleanup` removes: a session's objects, or with `all: true` everything in the stateDir. */
export type CleanupFilter = { sessionId: string; all?: never } | { all: true; sessionId?: never };

export interface CleanupResult {
  containers: number;
  volumes: number;
  networks: number;
}

function defaultStateDir(): string {
  const cache =
    process.env.XDG_CACHE_HOME ||
    (process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : join(homedir(), '.cache'));
  return join(cache, 'berth', 'local');
}

const CONTAINER_ID = /^[0-9a-f]{32}$/;

/**
 * Containers as supervised local processes. See the package README for what is enforced where.
 */
class LocalEngine implements DriverPrimitives {
  readonly name = DRIVER_NAME;
  readonly version = PACKAGE_VERSION;

  private readonly layout: StateLayout;
  private readonly enforcement: EnforcementMode;
  private readonly execa: typeof defaultExeca;
  private readonly pool: SupervisorPool;
  private readonly volumes: VolumeStore;
  private readonly networks: NetworkStore;
  private readonly locks = new KeyedLock();
  private readonly monitors = new Map<string, HealthMonitor>();
  private readonly sampler = new StatsSampler();
  private readonly startedAt = Date.now();
  private ready: Promise<{ host: HostFingerprint; allowedRoots: string[] }> | undefined;
  /** The host as last fingerprinted, for messages that cannot wait for it. */
  private lastHost: HostFingerprint | undefined;
  /** Where removed directories go, to be deleted off the hot path. */
  private readonly trash: Trash;
  private readonly spares: SpareDirectories;
  private readonly warm: WarmSandboxes;
  /** Created containers holding a warm sandbox they have not started in yet. */
  private readonly claimed = new Map<string, WarmSandbox>();
  private readonly identities: ContainerIdentities;
  private readonly launcher: ContainerLauncher;
  private readonly stopper: ContainerStopper;
  /** The directory bound as every sandbox's /etc, once bubblewrap is known to run. */
  private etcDir: string | undefined;

  constructor(private readonly options: LocalDriverOptions = {}) {
    this.layout = new StateLayout(resolve(options.stateDir ?? defaultStateDir()));
    this.trash = new Trash(this.layout.trash);
    this.spares = new SpareDirectories(this.layout.spares, {
      target: 4,
      discard: (path) => this.trash.take(path),
    });
    this.enforcement = options.enforcement ?? 'strict';
    this.execa = options.execa ?? defaultExeca;
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
    this.launcher = new ContainerLauncher({
      layout: this.layout,
      pool: this.pool,
      warm: this.warm,
      claimed: this.claimed,
      ready: () => this.init(),
      etcDir: () => this.etcDir,
      privateDirs: () => this.privateDirs(),
    });
    this.stopper = new ContainerStopper({
      layout: this.layout,
      pool: this.pool,
      stopTimeout: options.stopTimeout ?? 10,
      require: (id) => this.require(id),
      afterExit: (id) => this.afterExit(id),
    });
    this.volumes = new VolumeStore(this.layout, DRIVER_NAME, async () =>
      (await this.init()).host.setpriv.user ? this.identities.volumeGroups : undefined,
    );
    this.networks = new NetworkStore(this.layout, DRIVER_NAME, async () => {
      const { host } = await this.init();
      return { execa: this.execa, ...(host.networks.ip ? { ip: host.networks.ip } : {}) };
    });
  }

  /** The state directory in use. */
  get stateDir(): string {
    return this.layout.root;
  }

  private init(): Promise<{ host: HostFingerprint; allowedRoots: string[] }> {
    this.ready ??= (async () => {
      await this.layout.ensure();
      // Left by an earlier driver that died before it finished deleting them.
      this.trash.takeLeftovers();
      const [host, allowedRoots] = await Promise.all([
        fingerprintHost(this.execa, this.options.isolation),
        resolveAllowedRoots(this.options.allowedRoots ?? []),
      ]);
      this.lastHost = host;
      // The sandbox's /etc, made once per host content (see sandbox-etc.ts).
      if (host.bubblewrap.works) {
        this.etcDir = prepareSandboxEtc(join(this.hostDir(host), 'etc'));
      }
      // In the background: nothing here waits for what dead drivers left.
      void this.warm.sweep(host.cgroups);
      if (host.setpriv.user) setImmediate(() => this.identities.sweep()).unref();
      return { host, allowedRoots };
    })();
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  /** What the host offers and what was found missing, for diagnostics. */
  async hostFingerprint(): Promise<HostFingerprint> {
    return (await this.init()).host;
  }

  async capabilities(): Promise<DriverCapabilities> {
    return capabilitiesOf((await this.init()).host);
  }

  unenforcedReason(feature: string): string | undefined {
    const host = this.lastHost;
    if (feature === 'networks') {
      return `internal networks cannot be isolated on this host: ${host?.networks.reason ?? 'no network namespaces'} (run the driver as root with iproute2 and util-linux, or create the network with internal: false)`;
    }
    if (feature === 'volumeSize') return 'the local driver cannot cap a volume';
    return undefined;
  }

  /** What the local driver cannot run, found before anything is made. */
  async checkContainer(config: ContainerConfig): Promise<ValidationIssue[]> {
    const issues: ValidationIssue[] = [];
    const collect = (check: () => void) => {
      try {
        check();
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        issues.push(...error.issues);
      }
    };
    const command = [...(config.entrypoint ?? []), ...(config.command ?? [])];
    if (command.length === 0) {
      issues.push({
        path: ['command'],
        message:
          'required by the local driver: it runs host programs and has no image to take a default command from',
        stage: 'schema',
      });
    } else {
      collect(() =>
        refuseProgramName(command[0] as string, [config.entrypoint ? 'entrypoint' : 'command', 0]),
      );
    }
    collect(() => refuseIdentityCapabilities(config.security.capabilities.add));
    if (config.workingDir !== undefined && !isAbsolute(config.workingDir)) {
      issues.push({ path: ['workingDir'], message: 'must be an absolute path', stage: 'schema' });
    }
    const { host } = await this.init();
    collect(() => refuseRootDriverWithoutUsers(host));
    return issues;
  }

  // ---------------------------------------------------------------- containers

  async createContainer(config: ContainerConfig, ctx: CreateContext): Promise<ContainerInstance> {
    const command = [...(config.entrypoint ?? []), ...(config.command ?? [])];
    const { host, allowedRoots } = await this.init();
    const unenforced = [...ctx.unenforced];
    let netns: string | undefined;
    if (config.network !== undefined) {
      const network = await this.networks.find(config.network);
      if (!network) throw new NetworkNotFoundError(config.network);
      netns = await this.networks.namespaceOf(network.id);
      if (network.internal && netns === undefined) {
        // Made under best-effort on a host without network namespaces: say so on the instance.
        unenforced.push({
          feature: 'networks',
          path: 'network',
          reason: `internal network '${network.name}' is not isolated on this host`,
        });
      }
    }
    // A generated name embeds the fresh id, so only a chosen one can collide.
    if (
      config.name !== undefined &&
      (await this.allRecords()).some((r) => r.name === config.name)
    ) {
      throw new ConflictError(`A container named '${config.name}' already exists`);
    }
    const chosen = await this.identities.choose(host, config);
    if (config.workingDir !== undefined && !isAbsolute(config.workingDir)) {
      throw new ConfigurationError(`workingDir '${config.workingDir}' must be an absolute path`, [
        { path: ['workingDir'], message: 'must be absolute', stage: 'schema' },
      ]);
    }
    // Volumes named but not there yet are made once everything is checked, never before.
    const newVolumes = new Set<string>();
    const { mounts, overlays } = host.bubblewrap.works
      ? await resolveMounts(config.volumes, {
          allowedRoots,
          boundDirs: boundHostDirs(host.tools.view),
          privateDirs: this.privateDirs(),
          volumeDir: async (volume) => {
            await this.volumes.checkMountable(volume, config);
            if (!(await this.volumes.get(volume))) newVolumes.add(volume);
            return this.layout.volumeData(volume);
          },
        })
      : { mounts: [], overlays: [] };

    const labels: Record<string, string> = { ...ctx.labels };
    const createdAt = new Date().toISOString();
    const recordFor = (id: string, user: ResolvedUser, groups: number[] = []): ContainerRecord => {
      const workDir = this.layout.workDir(id);
      const name = config.name ?? `berth-${id.slice(0, 12)}`;
      return {
        id,
        name,
        sessionId: config.sessionId,
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
        image: config.image,
        createdAt,
        labels,
        config,
        run: 0,
        command,
        cwd: config.workingDir ?? workDir,
        env: containerEnvironment(
          config.env,
          { name, home: workDir },
          this.options.inheritEnv ?? [],
        ),
        user,
        ...(groups.length > 0 ? { groups } : {}),
        ...(chosen.own ? { ownIdentity: true } : {}),
        ...(netns !== undefined ? { netns } : {}),
        mounts,
        overlays,
        unenforced,
      };
    };
    const userFor = (id: string) => (chosen.own ? this.identities.forWarm(id) : chosen.user);
    const warm = this.claimWarm(host, config, (id) => recordFor(id, userFor(id)));
    // 122 random bits from the pooled generator, as 32 hex digits.
    const id = warm?.id ?? randomUUID().replaceAll('-', '');
    let user = chosen.user;
    const undo: (() => void)[] = [];
    try {
      if (config.name !== undefined) {
        this.identities.claimName(config.name, id);
        undo.push(() => this.identities.releaseName(config.name as string, id));
      }
      if (chosen.own) {
        // A warm sandbox was made with an identity of its own, which its container takes over.
        user = this.identities.take(id);
        const taken = user;
        undo.push(() => this.identities.release(taken.uid, id));
      }
      for (const volume of newVolumes) {
        await this.volumes.create({
          name: volume,
          sessionId: config.sessionId,
          ...(config.tenantId ? { tenantId: config.tenantId } : {}),
          labels: berthLabels(
            {},
            {},
            {
              driver: DRIVER_NAME,
              driverVersion: PACKAGE_VERSION,
              sessionId: config.sessionId,
              tenantId: config.tenantId,
              token: ctx.token,
            },
          ),
        });
      }
      // The groups of the volumes it mounts, which it joins to share them with its session
      // (one per mount, in the order of config.volumes and of mounts; none for a bind).
      const mountGroups = await Promise.all(
        config.volumes.map((v) =>
          v.type === 'volume' ? this.volumes.groupOf(v.source) : undefined,
        ),
      );
      const groups = [...new Set(mountGroups.filter((g): g is number => g !== undefined))];
      const record = recordFor(id, user, groups);
      const workDir = this.layout.workDir(id);
      // Synchronous: a handful of metadata operations on local files, each far cheaper than a
      // trip through the thread pool, and a lifecycle is made of little else.
      const fromSpare = warm !== undefined || this.spares.takeInto(this.layout.containerDir(id));
      if (!fromSpare) {
        mkdirSync(this.layout.containerDir(id), { recursive: true, mode: 0o711 });
        mkdirSync(workDir, { mode: 0o700 });
      }
      if (host.setpriv.user && !warm) {
        chownSync(workDir, user.uid, user.gid);
        // A volume made before volumes had groups of their own: an empty one still goes to its
        // first user, as it used to.
        mounts.forEach((mount, index) => {
          if (mount.readOnly || config.volumes[index]?.type !== 'volume') return;
          if (mountGroups[index] !== undefined) return;
          if (readdirSync(mount.source).length === 0) chownSync(mount.source, user.uid, user.gid);
        });
      }
      if (fromSpare) {
        const draft = join(this.layout.containerDir(id), SPARE_CONTENTS.recordDraft);
        commitDraftSync(draft, this.layout.containerFile(id), record);
      } else {
        writeJsonAtomicSync(this.layout.containerFile(id), record);
      }
      if (warm) this.claimed.set(id, warm);
      return toInstance({ record, status: 'created', supervised: false }, DRIVER_NAME);
    } catch (error) {
      // Nothing half-made stays: its directory, name and identity go with the failed create.
      if (warm) void this.warm.release(warm);
      try {
        rmSync(this.layout.containerDir(id), { recursive: true, force: true });
      } catch {
        // Deleted by the next driver's trash sweep at worst.
      }
      for (const step of undo.reverse()) step();
      throw error;
    }
  }

  /** Directories of this driver's own that no bind mount may show: its state, the host-wide state. */
  private privateDirs(): string[] {
    return [this.layout.root, this.hostDir()];
  }

  /** Where state shared with the host's other drivers lives (see LocalDriverOptions.hostStateDir). */
  private hostDir(host?: HostFingerprint): string {
    if (this.options.hostStateDir !== undefined) return resolve(this.options.hostStateDir);
    const root = host ? host.isRoot : process.getuid?.() === 0;
    return root ? DEFAULT_HOST_STATE_DIR : join(this.layout.root, 'host');
  }

  /**
   * A warm sandbox made for exactly this container's chain, its directory moved into place;
   * undefined when none is ready or the container cannot use one (a chosen name, volumes, an
   * environment the stub's shell cannot carry). See warm-sandboxes.ts.
   */
  private claimWarm(
    host: HostFingerprint,
    config: ContainerConfig,
    recordFor: (id: string) => ContainerRecord,
  ): WarmSandbox | undefined {
    if (!host.warmStart || !this.warm.enabled) return undefined;
    if (config.name !== undefined || config.volumes.length > 0) return undefined;
    const sample = recordFor(PLACEHOLDER_ID);
    if (warmScriptOf(sample) === undefined) return undefined;
    const warm = this.warm.claim({
      cgroups: host.cgroups,
      limits: limitsOf(host, config),
      owner: (id) => {
        if (!host.setpriv.user) return undefined;
        const { uid, gid } = recordFor(id).user;
        return { uid, gid };
      },
      chain: (id, workDirSource, group) => {
        const { plan, spawnCwd } = planProcess(
          recordFor(id),
          {
            host,
            stateDir: this.layout.root,
            workDir: this.layout.workDir(id),
            workDirSource,
            ...(this.etcDir !== undefined ? { etc: this.etcDir } : {}),
          },
          { command: warmStub(host.tools), cgroupProcs: group ? cgroupProcsFiles(group) : [] },
        );
        return { argv: buildSandboxCommand(plan, host.tools), cwd: spawnCwd };
      },
    });
    if (!warm) return undefined;
    try {
      renameSync(warm.dir, this.layout.containerDir(warm.id));
      return warm;
    } catch {
      // Its directory is left among this driver's warm ones, deleted when it closes.
      void this.warm.release(warm);
      return undefined;
    }
  }

  async startContainer(id: string): Promise<void> {
    const key = await this.lockKey(id);
    await this.locks.run(key, async () => {
      const snapshot = await this.require(key);
      if (snapshot.status === 'running') return;
      await this.launch(snapshot);
    });
  }

  private async launch(snapshot: ContainerSnapshot): Promise<void> {
    const run = await this.launcher.launch(snapshot);
    const { record } = snapshot;
    this.sampler.forget(record.id);
    if (record.config.healthcheck) this.watchHealth(record, run.run, Date.parse(run.startedAt));
  }

  async stopContainer(id: string, options: ParsedStopOptions): Promise<void> {
    const key = await this.lockKey(id);
    await this.locks.run(key, () => this.stopper.halt(key, options));
  }

  private afterExit(id: string): void {
    this.monitors.get(id)?.stop();
    this.monitors.delete(id);
  }

  async restartContainer(id: string, options: ParsedStopOptions): Promise<void> {
    const key = await this.lockKey(id);
    await this.locks.run(key, async () => {
      await this.stopper.halt(key, options);
      const snapshot = await this.require(key);
      await this.launch(snapshot);
    });
  }

  async removeContainer(id: string, options: ParsedRemoveOptions): Promise<void> {
    const key = await this.lockKey(id);
    await this.locks.run(key, async () => {
      const snapshot = await this.require(key);
      const cid = snapshot.record.id;
      if (snapshot.status === 'running') {
        if (!options.force) {
          throw new ContainerRemoveError(
            cid,
            'it is running; stop it first or remove with { force: true }',
          );
        }
        await this.stopper.halt(cid, { force: true });
      }
      this.afterExit(cid);
      this.sampler.forget(cid);
      const warm = this.claimed.get(cid);
      this.claimed.delete(cid);
      if (warm) await this.warm.release(warm);
      // Never started: a warm sandbox it held may have left its first run's (empty) group,
      // if its driver and supervisor were both killed.
      const { host } = await this.init();
      const group = snapshot.run
        ? (snapshot.run.meta.cgroup as ContainerCgroup | undefined)
        : containerCgroupOf(host.cgroups, runCgroupName(cid, 1));
      if (group) {
        const removal = killCgroup(group)
          .then(() => removeContainerCgroup(group))
          .catch(() => undefined);
        // A run that ended by itself has its supervisor removing the group already: this
        // covers a supervisor that died first, and nobody needs to wait for it.
        if (snapshot.status !== 'exited') await removal;
      }
      this.discard(cid);
      const { record } = snapshot;
      if (record.ownIdentity) this.identities.release(record.user.uid, cid);
      if (record.config.name !== undefined) this.identities.releaseName(record.config.name, cid);
    });
  }

  /**
   * Makes a container's directory vanish at once (a rename, so it is listed or found no more)
   * and deletes it off the hot path. What a dying process leaves in the trash, the next driver
   * on this stateDir deletes when it starts.
   */
  private discard(cid: string): void {
    const dir = this.layout.containerDir(cid);
    try {
      this.trash.take(dir, cid);
    } catch {
      // Already gone, or no trash directory to move it to: delete it in place.
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        throw new ContainerRemoveError(cid, (error as Error).message, { cause: error });
      }
    }
  }

  async getContainer(id: string): Promise<ContainerInstance | null> {
    const snapshot = await this.find(id);
    return snapshot ? toInstance(snapshot, DRIVER_NAME) : null;
  }

  async listContainers(f: ContainerFilter): Promise<ContainerInstance[]> {
    const statuses = f.status === undefined ? undefined : [f.status].flat();
    const states = f.state === undefined ? undefined : [f.state].flat();
    const snapshots = await this.allSnapshots();
    return snapshots
      .map((s) => toInstance(s, DRIVER_NAME))
      .filter(
        (c) =>
          (f.sessionId === undefined || c.sessionId === f.sessionId) &&
          (f.tenantId === undefined || c.tenantId === f.tenantId) &&
          (statuses === undefined || statuses.includes(c.status)) &&
          (states === undefined || states.includes(c.state)) &&
          Object.entries(f.label ?? {}).every(([key, value]) =>
            value === true ? key in c.labels : c.labels[key] === value,
          ),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  // ---------------------------------------------------------------- logs and waiting

  async getContainerLogs(id: string, parsed: LogOptions): Promise<string> {
    const cid = await this.existingId(id);
    const lines = await readLogLines(this.logPaths(cid), parsed);
    return formatLogLines(lines, parsed.timestamps === true);
  }

  async *streamLogs(
    id: string,
    parsed: ParsedLogOptions,
    ctx: PrimitiveContext,
  ): AsyncIterable<LogLine> {
    const { signal } = ctx;
    const { follow } = parsed;
    const cid = await this.existingId(id);
    if (!follow) {
      yield* readLogs(this.logPaths(cid), parsed, signal);
      return;
    }
    yield* followLogs(this.logPaths(cid), parsed, {
      containerId: cid,
      isRunning: async () => (await loadSnapshot(this.layout, cid))?.status === 'running',
      hold: () => this.pool.hold(),
      ...(signal ? { signal } : {}),
    });
  }

  async waitContainer(id: string, options?: OperationOptions): Promise<WaitResult> {
    options?.signal?.throwIfAborted();
    const snapshot = await this.require(id);
    const ended = (await this.stopper.waitForEnd(
      snapshot.record.id,
      Number.POSITIVE_INFINITY,
      options?.signal,
      snapshot,
    )) as { exit?: ExitRecord; snapshot?: ContainerSnapshot };
    const exit = ended.exit ?? ended.snapshot?.exit;
    if (exit) return { exitCode: exit.exitCode, oomKilled: exit.oomKilled };
    if (!ended.snapshot) throw new ContainerNotFoundError(id);
    // Created but never started, or lost without a record: nothing ran to completion.
    return { exitCode: ended.snapshot.status === 'dead' ? 255 : 0, oomKilled: false };
  }

  // ---------------------------------------------------------------- exec, stats, health

  async exec(
    id: string,
    argv: string[],
    parsedOptions: ParsedExecOptions,
    ctx: PrimitiveContext,
  ): Promise<ExecResult> {
    const { signal } = ctx;
    refuseProgramName(argv[0] as string, ['command', 0]);
    const snapshot = await this.require(id);
    if (snapshot.status !== 'running' || !snapshot.run) {
      throw new ConflictError(`Container ${snapshot.record.id} is not running`);
    }
    let user: ResolvedUser | undefined;
    if (parsedOptions.user) {
      user = await resolveUser(parsedOptions.user);
      refuseRoot(user, parsedOptions.user, ['user']);
      const own = snapshot.record.user;
      // Its own uid alone names its own identity, group included.
      if (user.uid === own.uid && !parsedOptions.user.includes(':')) user = own;
      const same = user.uid === own.uid && user.gid === own.gid;
      if (!same && (await this.init()).host.setpriv.user) {
        this.identities.refuseReserved(user, parsedOptions.user, ['user']);
      }
    }
    if (parsedOptions.user && !(await this.capabilities()).user && this.enforcement === 'strict') {
      // Running it as the container's user instead would be a silent substitution.
      throw new UnsupportedFeatureError(
        [{ feature: 'user', path: 'exec.user', reason: 'this host cannot switch users' }],
        "Leave out the exec user, run the driver as root with setpriv installed, or use enforcement: 'best-effort'.",
      );
    }
    return this.runIn(snapshot, argv, {
      ...(parsedOptions.env ? { env: parsedOptions.env } : {}),
      ...(parsedOptions.cwd ? { cwd: parsedOptions.cwd } : {}),
      ...(user ? { user } : {}),
      ...(parsedOptions.timeout ? { timeoutMs: parsedOptions.timeout } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  private async runIn(
    snapshot: ContainerSnapshot,
    command: string[],
    options: InContainerOptions,
  ): Promise<ExecResult> {
    const { host } = await this.init();
    return runInContainer(snapshot, command, options, {
      host,
      stateDir: this.layout.root,
      workDir: this.layout.workDir(snapshot.record.id),
      ...(this.etcDir !== undefined ? { etc: this.etcDir } : {}),
      execa: this.execa,
      hold: () => this.pool.hold(),
    });
  }

  async getContainerStats(id: string, options?: OperationOptions): Promise<ContainerStats> {
    options?.signal?.throwIfAborted();
    const { host } = await this.init();
    const snapshot = await this.require(id);
    const memoryLimit = host.cgroups.enforced.memory
      ? snapshot.record.config.resources.memory
      : undefined;
    if (snapshot.status !== 'running' || !snapshot.run) {
      return {
        cpuPercent: 0,
        memoryBytes: 0,
        memoryLimitBytes: memoryLimit === undefined ? 0 : memoryLimit * 1024 * 1024,
        pids: 0,
      };
    }
    const group = snapshot.run.meta.cgroup as ContainerCgroup | undefined;
    return this.sampler.stats(snapshot.record.id, group, snapshot.run.pid, memoryLimit);
  }

  private watchHealth(
    record: ContainerRecord,
    run: number,
    startedAt: number,
    previous?: HealthRecord,
  ): void {
    const healthcheck = record.config.healthcheck;
    if (!healthcheck || this.monitors.has(record.id)) return;
    const id = record.id;
    const monitor = new HealthMonitor(
      healthcheck,
      {
        check: async (timeoutMs) => {
          const snapshot = await this.require(id);
          if (snapshot.status !== 'running') return { ok: false };
          const result = await this.runIn(snapshot, healthcheck.command, { timeoutMs });
          return { ok: result.exitCode === 0, exitCode: result.exitCode };
        },
        isRunning: async () => {
          const snapshot = await loadSnapshot(this.layout, id);
          return snapshot?.status === 'running' && snapshot.run?.run === run;
        },
        save: (health: HealthRecord) => writeJsonAtomic(this.layout.healthFile(id), health),
      },
      run,
      startedAt,
      previous,
    );
    this.monitors.set(id, monitor);
    monitor.start();
  }

  async isContainerHealthy(id: string, options?: OperationOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    const snapshot = await this.require(id);
    if (snapshot.status !== 'running') return false;
    if (!snapshot.record.config.healthcheck) return true;
    return snapshot.health?.status === 'healthy';
  }

  async healthCheck(options?: OperationOptions): Promise<DriverHealth> {
    options?.signal?.throwIfAborted();
    const uptime = (Date.now() - this.startedAt) / 1000;
    try {
      const { host } = await this.init();
      const containers = await this.allSnapshots();
      const running = containers.filter((c) => c.status === 'running').length;
      const caps = capabilitiesOf(host);
      const missing = (
        [
          'cpu',
          'memory',
          'pids',
          'readOnlyRootfs',
          'noNewPrivileges',
          'user',
          'capabilityDrop',
        ] as const
      ).filter((k) => !caps[k]);
      return {
        status: missing.length === 0 ? 'healthy' : 'degraded',
        version: this.version,
        uptime,
        containers: { total: containers.length, running, stopped: containers.length - running },
        ...(missing.length > 0
          ? { error: `this host does not let the driver enforce: ${missing.join(', ')}` }
          : {}),
      };
    } catch (error) {
      return {
        status: 'unhealthy',
        version: this.version,
        uptime,
        containers: { total: 0, running: 0, stopped: 0 },
        error: (error as Error).message,
      };
    }
  }

  // ---------------------------------------------------------------- volumes and networks

  async createVolume(config: VolumeConfig, ctx: CreateContext): Promise<Volume> {
    await this.init();
    // A size not enforced here reaches this point only under best-effort, listed as such.
    const { sizeMb: _unenforced, ...rest } = config;
    return this.volumes.create({ ...rest, labels: { ...ctx.labels } });
  }

  async removeVolume(id: string, options?: OperationOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    requireObjectId(id, 'volume');
    await this.init();
    const volume = await this.volumes.get(id);
    if (!volume) throw new VolumeNotFoundError(id);
    const users = (await this.allSnapshots()).filter(
      (s) =>
        s.status === 'running' &&
        s.record.config.volumes.some((v) => v.type === 'volume' && v.source === volume.name),
    );
    if (users.length > 0) {
      throw new VolumeRemoveError(
        id,
        `it is in use by running container(s) ${users.map((s) => s.record.name).join(', ')}`,
      );
    }
    await this.volumes.remove(id);
  }

  async listVolumes(options?: OperationOptions): Promise<Volume[]> {
    options?.signal?.throwIfAborted();
    await this.init();
    return this.volumes.list();
  }

  async createNetwork(config: NetworkConfig, ctx: CreateContext): Promise<Network> {
    const { host } = await this.init();
    return this.networks.create({ ...config, labels: { ...ctx.labels } }, host.networks.isolated);
  }

  async removeNetwork(id: string, options?: OperationOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    requireObjectId(id, 'network');
    await this.init();
    const network = await this.networks.find(id);
    if (!network) throw new NetworkNotFoundError(id);
    const users = (await this.allSnapshots()).filter(
      (s) =>
        s.status === 'running' &&
        (s.record.config.network === network.name || s.record.config.network === network.id),
    );
    if (users.length > 0) {
      throw new NetworkRemoveError(
        id,
        `it is in use by running container(s) ${users.map((s) => s.record.name).join(', ')}`,
      );
    }
    await this.networks.remove(network.id);
  }

  async listNetworks(options?: OperationOptions): Promise<Network[]> {
    options?.signal?.throwIfAborted();
    await this.init();
    return this.networks.list();
  }

  // ---------------------------------------------------------------- lifecycle of the driver

  /**
   * Removes every container, volume and network of a session, even ones an earlier process
   * made; `{ all: true }` removes everything in the stateDir. Anything else is refused: an
   * empty filter, or a sessionId left undefined by mistake, must not mean "everything".
   */
  async cleanup(wanted: CleanupFilter): Promise<CleanupResult> {
    await this.init();
    const result: CleanupResult = { containers: 0, volumes: 0, networks: 0 };
    const ofSession = (owner: { sessionId?: string | undefined; tenantId?: string | undefined }) =>
      cleanupMatches(wanted, owner);
    const containers = (await this.listContainers({})).filter((c) => ofSession(c));
    await Promise.all(
      containers.map(async (c) => {
        await this.removeContainer(c.id, { force: true, volumes: true });
        result.containers++;
      }),
    );
    for (const volume of await this.volumes.list()) {
      if (ofSession(volume)) {
        await this.volumes.remove(volume.id);
        result.volumes++;
      }
    }
    for (const network of await this.networks.list()) {
      if (ofSession(network)) {
        await this.networks.remove(network.id);
        result.networks++;
      }
    }
    return result;
  }

  /**
   * Stops health checks and lets idle supervisors go. Running containers keep running (their
   * supervisors outlive the driver) and a new driver on the same stateDir picks them up.
   */
  async close(): Promise<void> {
    for (const monitor of this.monitors.values()) monitor.stop();
    this.monitors.clear();
    // Warm sandboxes die with the driver; a created container that held one starts cold.
    const claimed = [...this.claimed.values()];
    this.claimed.clear();
    await Promise.all([...claimed.map((w) => this.warm.release(w)), this.warm.close()]);
    this.pool.close();
    this.spares.close();
    this.trash.close();
  }

  // ---------------------------------------------------------------- records

  private logPaths(id: string) {
    return { stdout: this.layout.logFile(id, 'stdout'), stderr: this.layout.logFile(id, 'stderr') };
  }

  private async containerIds(): Promise<string[]> {
    try {
      return (await readdir(this.layout.containers)).filter((n) => CONTAINER_ID.test(n));
    } catch {
      return [];
    }
  }

  private async allSnapshots(): Promise<ContainerSnapshot[]> {
    await this.init();
    const snapshots = await Promise.all(
      (await this.containerIds()).map((id) => loadSnapshot(this.layout, id)),
    );
    const found = snapshots.filter((s): s is ContainerSnapshot => s !== undefined);
    for (const snapshot of found) this.resumeHealth(snapshot);
    return found;
  }

  private async allRecords(): Promise<ContainerRecord[]> {
    return (await this.allSnapshots()).map((s) => s.record);
  }

  /** By id, else by name. */
  private async find(idOrName: string): Promise<ContainerSnapshot | undefined> {
    // What cannot be an id or a name is none: nothing is read for it.
    if (!isObjectId(idOrName)) return undefined;
    await this.init();
    if (CONTAINER_ID.test(idOrName)) {
      const snapshot = await loadSnapshot(this.layout, idOrName);
      if (snapshot) {
        this.resumeHealth(snapshot);
        return snapshot;
      }
    }
    if (typeof idOrName !== 'string' || idOrName === '') return undefined;
    return (await this.allSnapshots()).find((s) => s.record.name === idOrName);
  }

  /** The container id to serialise on: the id itself, found without reading state when it is one. */
  private async lockKey(idOrName: string): Promise<string> {
    if (typeof idOrName === 'string' && CONTAINER_ID.test(idOrName)) return idOrName;
    return (await this.require(idOrName)).record.id;
  }

  /**
   * The id of an existing container, from its container.json alone when given an id: logs need
   * no run state. A container with a healthcheck takes the full path, which resumes its checks.
   */
  private async existingId(idOrName: string): Promise<string> {
    if (typeof idOrName === 'string' && CONTAINER_ID.test(idOrName)) {
      await this.init();
      const record = readJsonSync<ContainerRecord>(this.layout.containerFile(idOrName));
      if (record && !record.config.healthcheck) return record.id;
    }
    return (await this.require(idOrName)).record.id;
  }

  private async require(id: string): Promise<ContainerSnapshot> {
    const snapshot = await this.find(id);
    if (!snapshot) throw new ContainerNotFoundError(id);
    return snapshot;
  }

  /** A re-attached driver takes over the health checks of running containers it finds. */
  private resumeHealth(snapshot: ContainerSnapshot): void {
    if (
      snapshot.status === 'running' &&
      snapshot.run &&
      snapshot.record.config.healthcheck &&
      !this.monitors.has(snapshot.record.id)
    ) {
      this.watchHealth(
        snapshot.record,
        snapshot.run.run,
        Date.parse(snapshot.run.startedAt),
        snapshot.health,
      );
    }
  }
}

/**
 * Containers as supervised local processes, sandboxed where the host allows (see the README
 * for what is enforced where). The kit validates every input and decides enforcement; the
 * engine above runs them.
 */
export class LocalDriver extends KitDriver {
  readonly #engine: LocalEngine;

  constructor(options: LocalDriverOptions = {}) {
    const engine = new LocalEngine(options);
    super(engine, options.enforcement === undefined ? {} : { enforcement: options.enforcement });
    this.#engine = engine;
  }

  /** The state directory in use. */
  get stateDir(): string {
    return this.#engine.stateDir;
  }

  /** What the host offers and what was found missing, for diagnostics. */
  hostFingerprint(): Promise<HostFingerprint> {
    return this.#engine.hostFingerprint();
  }
}
