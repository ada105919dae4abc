import {
  type CleanupResult,
  ConfigurationError,
  type ContainerConfig,
  ContainerConfigSchema,
  type ContainerDriver,
  type ContainerInstance,
  ContainerNotFoundError,
  callSignal,
  containerConfigIssues,
  type DriverMiddleware,
  type DriverOperation,
  isDriverError,
  type Network,
  NetworkNotFoundError,
  type OperationOptions,
  plainData,
  throwConfigurationIssues,
  type ValidationIssue,
  type Volume,
  wrapDriver,
} from '@berth/core';
import { KeyedLock } from './lock.js';
import { TenantNames } from './names.js';
import { Ownership, signalOnly } from './ownership.js';
import {
  limitShapeIssues,
  policyIssues,
  policyShapeIssues,
  type TenantPolicy,
  userProblem,
} from './policy.js';
import { checkQuota, isLive, type TenantQuota, usageOf } from './quota.js';
import { Segmentation, TENANT_NETWORK_PREFIX } from './segmentation.js';
import { cleanupFor } from './tenant-cleanup.js';

export interface TenantOptions extends TenantPolicy {
  /** What the tenant may hold at once, checked at every create and start. */
  quota?: TenantQuota;
}

const TENANT_ID = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

// Shared by every view of one driver: two views of one tenant must not both pass a quota check.
const locks = new WeakMap<ContainerDriver, KeyedLock>();
function lockOf(driver: ContainerDriver): KeyedLock {
  let lock = locks.get(driver);
  if (lock === undefined) {
    lock = new KeyedLock();
    locks.set(driver, lock);
  }
  return lock;
}

/** Throws a ConfigurationError listing every problem with a forTenant call's arguments. */
export function checkTenantArguments(tenantId: unknown, options: unknown): void {
  const issues: ValidationIssue[] = [];
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
    issues.push({
      path: ['tenantId'],
      message: `tenant id ${JSON.stringify(String(tenantId)).slice(0, 80)} must be 1–63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit (it names the tenant's network)`,
      stage: 'schema',
    });
  }
  const { quota, ...policy } =
    typeof options === 'object' && options !== null ? (options as TenantOptions) : {};
  issues.push(...policyShapeIssues(options === undefined ? undefined : policy));
  issues.push(
    ...limitShapeIssues(
      quota,
      ['quota'],
      ['cpu', 'memoryMb', 'diskMb', 'pids', 'containers', 'sessions'],
      'policy',
    ),
  );
  if (issues.length > 0) throwConfigurationIssues('tenant view', issues);
}

type Handler = (args: unknown[], next: (args?: unknown[]) => Promise<unknown>) => Promise<unknown>;

/**
 * A view of `driver` for one tenant: what it creates is stamped with `tenantId` and checked
 * against `options` first; it lists only the tenant's objects, and answers every operation on
 * another tenant's id exactly as for an id that does not exist. Members beyond the contract
 * pass through to `driver` untouched.
 */
export function forTenant<D extends ContainerDriver>(
  driver: D,
  tenantId: string,
  options: TenantOptions = {},
): D {
  checkTenantArguments(tenantId, options);
  const { quota = {}, ...policy } = options;
  const names = new TenantNames(tenantId);
  const own = new Ownership(driver, tenantId, names);
  const lock = lockOf(driver);
  const segmentation = new Segmentation(driver, tenantId, policy.segmentation ?? 'required');

  const tenantContainers = async (opts: OperationOptions) =>
    (await driver.listContainers({ tenantId }, opts)).filter((c) => c.tenantId === tenantId);

  /** Every way the config breaks the contract or the tenant's policy, and the parsed config. */
  const checkConfig = async (input: unknown, opts: OperationOptions): Promise<ContainerConfig> => {
    const core = containerConfigIssues(input, {
      allowRoot: policy.allowRoot === true,
      allowCapabilities: policy.allowCapabilities ?? [],
    });
    const parsed = ContainerConfigSchema.safeParse(input);
    const issues = [...core.issues];
    if (parsed.success) {
      const config = parsed.data;
      const taken = new Set(issues.map((i) => i.path.join('.')));
      for (const issue of policyIssues(config, policy)) {
        if (!taken.has(issue.path.join('.'))) issues.push(issue);
      }
      if (config.tenantId !== undefined && config.tenantId !== tenantId) {
        issues.push({
          path: ['tenantId'],
          message: `this view creates for tenant '${tenantId}' only: leave tenantId unset`,
          stage: 'security',
        });
      }
      for (const [i, mount] of config.volumes.entries()) {
        if (mount.type !== 'volume') continue;
        const all = await driver.listVolumes(opts);
        const holder = all.find((v) => v.name === mount.source);
        if (holder !== undefined && holder.tenantId !== tenantId) {
          issues.push({
            path: ['volumes', i, 'source'],
            message: `volume name '${names.outer(mount.source)}' is taken outside any tenant view: use another name`,
            stage: 'security',
          });
        }
      }
    }
    if (issues.length > 0 || !parsed.success || core.config === undefined) {
      throwConfigurationIssues('container configuration', issues);
    }
    return core.config;
  };

  const create = async (given: unknown, rawOptions: unknown): Promise<ContainerInstance> => {
    const opts = signalOnly(rawOptions);
    // One plain copy is what is checked and what is created: no getter can answer twice.
    const input = names.config(plainData(given, 'container configuration'));
    const config = await checkConfig(input, opts);
    return lock.run(tenantId, async () => {
      let network = config.network;
      if (network !== undefined) {
        const owned = await own.network(network, opts);
        if (owned === null) throw new NetworkNotFoundError(network);
        network = owned.name;
      }
      // Segmentation is checked (and the network made) before quotas: both refuse without
      // creating a container, and the network is the tenant's to keep.
      network ??= await segmentation.network(opts);
      const mine = await tenantContainers(opts);
      const usage = usageOf(mine);
      const sessionLive = mine.some((c) => isLive(c) && c.sessionId === config.sessionId);
      checkQuota(quota, usage, config, sessionLive, true);
      const created = await driver.createContainer(
        { ...config, tenantId, ...(network === undefined ? {} : { network }) },
        rawOptions as OperationOptions,
      );
      if (created.tenantId !== tenantId) {
        // A driver that drops the tenant would leave a container no view could see or count.
        await driver.removeContainer(created.id, { force: true }).catch(() => undefined);
        throw new ConfigurationError(
          `driver ${driver.name} did not record tenantId on the container it made (removed again): it cannot be used with @berth/tenancy`,
        );
      }
      return names.container(created);
    });
  };

  /** An operation on one of the tenant's containers, called with its real id. */
  const onContainer =
    (
      changes: boolean,
      before?: (c: ContainerInstance, args: unknown[]) => Promise<void>,
      optionsAt = 1,
    ): Handler =>
    async (args, next) => {
      const id = args[0];
      const rawOptions = args[optionsAt];
      const found = await own.requireContainer(id, rawOptions, changes);
      await before?.(found, args);
      try {
        return await next([found.id, ...args.slice(1)]);
      } catch (error) {
        // Gone between the check and the call: still named as the caller named it.
        if (ContainerNotFoundError.isInstance(error)) throw new ContainerNotFoundError(String(id));
        throw error;
      }
    };

  /** Starting a dead container brings its cpu, memory and pids back: checked against the quota. */
  const revive =
    (start: Handler): Handler =>
    async (args, next) => {
      const found = await own.requireContainer(args[0], args[1], true);
      if (isLive(found)) return start(args, next);
      return lock.run(tenantId, async () => {
        const others = (await tenantContainers(signalOnly(args[1]))).filter(
          (c) => c.id !== found.id,
        );
        const sessionLive = others.some((c) => isLive(c) && c.sessionId === found.sessionId);
        checkQuota(quota, usageOf(others), found, sessionLive, false);
        return start(args, next);
      });
    };

  const execChecked: Handler = async ([id, command, rawOptions], next) => {
    const options = optionsCopy(rawOptions, 'exec options');
    const user = (options as { user?: unknown } | undefined)?.user;
    if (typeof user === 'string') {
      const problem = userProblem(user, policy);
      if (problem !== undefined) {
        throwConfigurationIssues('exec options', [
          { path: ['user'], message: problem, stage: 'security' },
        ]);
      }
    }
    // The copy goes on: what was checked is what runs, whatever a getter would answer next.
    return onContainer(true, undefined, 2)([id, command, options], next);
  };

  // Every operation, so one added to the contract fails to compile until it is scoped here: an
  // operation passed through unseen would reach other tenants' containers.

  const handlers: Record<DriverOperation, Handler> = {
    healthCheck: (_args, next) => next(),
    capabilities: (_args, next) => next(),
    signalContainer: onContainer(true, undefined, 2),
    pauseContainer: onContainer(true),
    resumeContainer: onContainer(true),
    extendTtl: onContainer(true, undefined, 2),
    // Spawn takes exec's options, and the same user policy, plus stdin and an output budget.
    spawn: execChecked,
    listProcesses: onContainer(false),
    attach: onContainer(false, undefined, 2),
    writeFile: onContainer(true, undefined, 3),
    readFile: onContainer(false, undefined, 2),
    readFileStream: onContainer(false, undefined, 2),
    listFiles: onContainer(false, undefined, 2),
    removeFile: onContainer(true, undefined, 2),
    makeDir: onContainer(true, undefined, 2),
    upload: onContainer(true, undefined, 3),
    download: onContainer(false, undefined, 2),
    createContainer: (args) => create(args[0], args[1]),
    startContainer: revive(onContainer(true)),
    restartContainer: revive(onContainer(true)),
    stopContainer: onContainer(true),
    removeContainer: onContainer(true),
    exec: execChecked,
    getContainerLogs: onContainer(false),
    streamLogs: onContainer(false),
    waitContainer: onContainer(false),
    getContainerStats: onContainer(false),
    isContainerHealthy: onContainer(false),
    getContainer: async (args) => {
      const found = await own.container(args[0], args[1]);
      return found === null ? null : names.container(found);
    },
    listContainers: async ([filter, rawOptions], next) => {
      if (filter !== undefined && (typeof filter !== 'object' || filter === null)) {
        return next(); // the driver's own ConfigurationError for a malformed filter
      }
      const given = plainData<{ tenantId?: unknown }>(filter ?? {}, 'container filter');
      if (given.tenantId !== undefined && given.tenantId !== tenantId) {
        await next(); // validated by the driver all the same; another tenant's are never shown
        return [];
      }
      const found = (await next([{ ...given, tenantId }, rawOptions])) as ContainerInstance[];
      return found.filter((c) => c.tenantId === tenantId).map((c) => names.container(c));
    },
    listVolumes: async (_args, next) =>
      ((await next()) as Volume[])
        .filter((v) => v.tenantId === tenantId)
        .map((v) => names.volume(v)),
    listNetworks: async (_args, next) =>
      ((await next()) as Network[])
        .filter((n) => n.tenantId === tenantId)
        .map((n) => names.network(n)),
    createVolume: async ([config, rawOptions], next) => {
      const input = withInnerName(stamped(config, tenantId, 'volume'), names);
      const name = (input as { name?: unknown }).name;
      const holder = (await driver.listVolumes(signalOnly(rawOptions))).find(
        (v) => v.name === name,
      );
      if (holder !== undefined && holder.tenantId !== tenantId) {
        throwConfigurationIssues('volume configuration', [
          {
            path: ['name'],
            message: `volume name '${names.outer(String(name))}' is taken outside any tenant view: use another name`,
            stage: 'security',
          },
        ]);
      }
      return names.volume((await next([input, rawOptions])) as Volume);
    },
    removeVolume: async ([id, rawOptions], next) => {
      const found = await own.requireVolume(id, rawOptions);
      return next([found.id, rawOptions]);
    },
    createNetwork: async ([config, rawOptions], next) => {
      const input = stamped(config, tenantId, 'network');
      const name = (input as { name?: unknown }).name;
      if (typeof name === 'string' && name.startsWith(TENANT_NETWORK_PREFIX)) {
        throwConfigurationIssues('network configuration', [
          {
            path: ['name'],
            message: `names starting '${TENANT_NETWORK_PREFIX}' are kept for tenants' own networks: use another name`,
            stage: 'security',
          },
        ]);
      }
      await segmentation.require(signalOnly(rawOptions));
      return names.network((await next([withInnerName(input, names), rawOptions])) as Network);
    },
    removeNetwork: async ([id, rawOptions], next) => {
      const found = await own.requireNetwork(id, rawOptions);
      return next([found.id, rawOptions]);
    },
    cleanup: async ([filter, rawOptions], next) =>
      cleanupFor(tenantId, filter, (f) => next([f, rawOptions]) as Promise<CleanupResult>),
  };

  const middleware: DriverMiddleware = (call, next) => {
    const handler = handlers[call.operation];
    return handler(call.args as unknown[], next as never) as never;
  };
  return wrapDriver(driver, middleware);
}

/** A volume or network config with its name as the engine holds it. */
function withInnerName(input: unknown, names: TenantNames): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const name = (input as { name?: unknown }).name;
  return typeof name === 'string' ? { ...input, name: names.inner(name) } : input;
}

/** The config with this tenant's id, or a ConfigurationError when it names another. */
function stamped(input: unknown, tenantId: string, what: string): unknown {
  if (typeof input !== 'object' || input === null) return input; // the driver refuses it
  const config = plainData<object>(input, `${what} configuration`);
  const given = (config as { tenantId?: unknown }).tenantId;
  if (given !== undefined && given !== tenantId) {
    throwConfigurationIssues(`${what} configuration`, [
      {
        path: ['tenantId'],
        message: `this view creates for tenant '${tenantId}' only: leave tenantId unset`,
        stage: 'security',
      },
    ]);
  }
  return { ...config, tenantId };
}

/**
 * A plain copy of call options (signal kept), read once: a getter or trap that throws is a
 * ConfigurationError. Options that are not an object go on as given, for the driver to refuse.
 */
function optionsCopy(options: unknown, what: string): unknown {
  if (typeof options !== 'object' || options === null) return options;
  try {
    const signal = callSignal(options, what);
    const rest = Object.fromEntries(Object.entries(options).filter(([key]) => key !== 'signal'));
    return { ...plainData<object>(rest, what), ...(signal === undefined ? {} : { signal }) };
  } catch (error) {
    if (isDriverError(error)) throw error;
    return throwConfigurationIssues(what, [
      { path: [], message: `could not be read: ${String(error)}`, stage: 'schema' },
    ]);
  }
}
