import {
  ConflictError,
  type ContainerConfig,
  ContainerNotFoundError,
  ContainerRemoveError,
  type DriverCapabilities,
  type Network,
  NetworkNotFoundError,
  NetworkRemoveError,
  type ValidationIssue,
  type Volume,
  VolumeNotFoundError,
  VolumeRemoveError,
} from '@berth/core';
import {
  type CreateContext,
  type DriverPolicy,
  type DriverPrimitives,
  defineDriver,
  type KitDriver,
} from '@berth/core/kit';
import { MemoryContainer } from './container.ts';

export const MEMORY_DRIVER_NAME = 'memory';
export const MEMORY_DRIVER_VERSION = '0.1.0';

/*
 * Capabilities are promises the kit holds the driver to: under strict enforcement it refuses a
 * config asking for anything reported false. A container here runs only the builtins of
 * shell.ts: they cannot exceed a CPU, memory or pids limit, write a file, switch user or gain a
 * privilege, so those limits hold, trivially. What it cannot do, it says: no port is published
 * anywhere, and a network is a record that isolates nothing.
 */
const CAPABILITIES: DriverCapabilities = {
  cpu: true,
  memory: true,
  pids: true,
  disk: true,
  readOnlyRootfs: true,
  noNewPrivileges: true,
  user: true,
  capabilityDrop: true,
  networks: 'logical',
  volumes: true,
  ports: false,
  exec: true,
  stats: true,
  logsFollow: true,
  healthchecks: true,
  pause: false,
  signals: false,
  processes: false,
  processAttach: false,
  files: false,
  lifetimes: false,
};

/** An in-memory driver: the full contract, everything kept in this process. */
export function createMemoryDriver(policy: DriverPolicy = {}): KitDriver {
  return defineDriver(memoryPrimitives(), policy);
}

/**
 * The primitives. Every argument has been parsed and checked by the kit: ids look like ids, the
 * config is a validated copy with defaults filled in, and enforcement has been decided.
 */
function memoryPrimitives(): DriverPrimitives {
  const containers = new Map<string, MemoryContainer>();
  // Volumes and networks are named objects: here, their id is their name.
  const volumes = new Map<string, Volume>();
  const networks = new Map<string, Network>();

  /** By id or by name, as engines accept either; unknown is the contract's not-found error. */
  const container = (idOrName: string): MemoryContainer => {
    const found =
      containers.get(idOrName) ?? [...containers.values()].find((c) => c.name === idOrName);
    if (!found) throw new ContainerNotFoundError(idOrName);
    return found;
  };
  const users = (volume: string) =>
    [...containers.values()].filter((c) =>
      c.config.volumes.some((m) => m.type === 'volume' && m.source === volume),
    );
  const owner = (config: { sessionId?: string; tenantId?: string }) => ({
    ...(config.sessionId !== undefined && { sessionId: config.sessionId }),
    ...(config.tenantId !== undefined && { tenantId: config.tenantId }),
  });

  return {
    name: MEMORY_DRIVER_NAME,
    version: MEMORY_DRIVER_VERSION,

    capabilities: async () => CAPABILITIES,

    unenforcedReason: (feature) =>
      feature === 'networks'
        ? 'networks of the in-memory driver are records: there is nothing to isolate'
        : undefined,

    // Checks only this driver can make, on a valid config; the kit reports them all at once.
    checkContainer(config: ContainerConfig): ValidationIssue[] {
      const issues: ValidationIssue[] = [];
      config.volumes.forEach((mount, i) => {
        if (mount.type === 'bind') {
          issues.push({
            path: ['volumes', i, 'type'],
            message: 'the in-memory driver has no host files to bind: use a named volume',
            stage: 'security',
          });
        } else if (!volumes.has(mount.source)) {
          issues.push({
            path: ['volumes', i, 'source'],
            message: `no volume named '${mount.source}': create it first`,
            stage: 'schema',
          });
        }
      });
      if (config.network !== undefined && !networks.has(config.network)) {
        issues.push({
          path: ['network'],
          message: `no network named '${config.network}': create it first`,
          stage: 'schema',
        });
      }
      return issues;
    },

    async createContainer(config, ctx: CreateContext) {
      const made = new MemoryContainer(config, ctx.labels, ctx.unenforced);
      // Nothing awaits between this check and the set: parallel creates cannot share a name.
      if ([...containers.values()].some((c) => c.name === made.name)) {
        throw new ConflictError(`A container named '${made.name}' already exists`);
      }
      containers.set(made.id, made);
      return made.toInstance(MEMORY_DRIVER_NAME);
    },

    startContainer: async (id) => container(id).start(),

    stopContainer: async (id, options) => container(id).stop(options.force),

    async removeContainer(id, options) {
      const target = container(id);
      if (target.status === 'running' && !options.force) {
        throw new ContainerRemoveError(id, 'it is running: stop it first, or pass force: true');
      }
      containers.delete(target.id);
      await target.remove();
    },

    getContainer: async (id) => {
      try {
        return container(id).toInstance(MEMORY_DRIVER_NAME);
      } catch (error) {
        if (error instanceof ContainerNotFoundError) return null;
        throw error;
      }
    },

    // All of them: the kit applies the filter to what a driver returns.
    listContainers: async () =>
      [...containers.values()].map((c) => c.toInstance(MEMORY_DRIVER_NAME)),

    // A generator: the lookup runs, and may throw, when the caller starts reading.
    async *streamLogs(id, options, ctx) {
      yield* container(id).lines(options, ctx.signal);
    },

    waitContainer: async (id, ctx) => ({
      exitCode: await container(id).wait(ctx.signal),
      oomKilled: false,
    }),

    exec: async (id, command, options, ctx) => container(id).exec(command, options, ctx.signal),

    async getContainerStats(id) {
      const c = container(id);
      return {
        cpuPercent: 0,
        memoryBytes: 0,
        memoryLimitBytes: c.config.resources.memory * 1024 * 1024,
        pids: c.status === 'running' ? 1 : 0,
      };
    },

    async createVolume(config, ctx) {
      if (volumes.has(config.name)) {
        throw new ConflictError(`A volume named '${config.name}' already exists`);
      }
      const volume: Volume = {
        id: config.name,
        name: config.name,
        driver: MEMORY_DRIVER_NAME,
        labels: { ...ctx.labels },
        createdAt: new Date(),
        ...owner(config),
      };
      volumes.set(config.name, volume);
      return { ...volume };
    },

    async removeVolume(name) {
      if (!volumes.has(name)) throw new VolumeNotFoundError(name);
      const using = users(name);
      if (using.length > 0) {
        const names = using.map((c) => c.name).join(', ');
        throw new VolumeRemoveError(name, `in use by container ${names}`);
      }
      volumes.delete(name);
    },

    listVolumes: async () => [...volumes.values()].map((v) => ({ ...v })),

    async createNetwork(config, ctx) {
      if (networks.has(config.name)) {
        throw new ConflictError(`A network named '${config.name}' already exists`);
      }
      const network: Network = {
        id: config.name,
        name: config.name,
        driver: MEMORY_DRIVER_NAME,
        labels: { ...ctx.labels },
        internal: config.internal,
        createdAt: new Date(),
        ...owner(config),
      };
      networks.set(config.name, network);
      return { ...network };
    },

    async removeNetwork(id) {
      if (!networks.has(id)) throw new NetworkNotFoundError(id);
      const using = [...containers.values()].filter((c) => c.config.network === id);
      if (using.length > 0) {
        const names = using.map((c) => c.name).join(', ');
        throw new NetworkRemoveError(id, `in use by container ${names}`);
      }
      networks.delete(id);
    },

    listNetworks: async () => [...networks.values()].map((n) => ({ ...n })),

    // restartContainer, getContainerLogs, isContainerHealthy, healthCheck, cleanup and close
    // are left out: the kit derives them from the primitives above.
  };
}
