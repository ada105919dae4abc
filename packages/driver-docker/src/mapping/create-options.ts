import { ConfigurationError, type ContainerConfig, plainData } from '@berth/core';
import type Dockerode from 'dockerode';

const MB = 1024 * 1024;
const NS_PER_MS = 1_000_000;

export interface MappingOptions {
  labels: Record<string, string>;
  /** Set StorageOpt size only when the storage driver enforces it; otherwise the engine refuses. */
  applyDisk: boolean;
  /** `null` keeps the engine's default log driver. */
  logDriver: string | null;
  /** The log driver's options; ignored without a log driver. */
  logOptions?: Record<string, string>;
  /** Run the engine's init as PID 1. */
  init: boolean;
}

/**
 * Where a container is attached. No named network means none at all (the secure default),
 * except that publishing a port needs a network to publish from: then the default bridge,
 * which an engine started with --ip-masq=false gives no route out through NAT.
 */
export function networkMode(config: ContainerConfig): string {
  if (config.network !== undefined) return config.network;
  return config.ports.length > 0 ? 'bridge' : 'none';
}

/**
 * ContainerConfig → the Engine API's create body (the name travels in the query, not here).
 * Pure, so the mapping is testable without an engine.
 */
export function toCreateOptions(
  config: ContainerConfig,
  options: MappingOptions,
): Dockerode.ContainerCreateOptions {
  const { resources, security } = config;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of config.ports) {
    const key = `${port.container}/${port.protocol}`;
    exposed[key] = {};
    const list = bindings[key] ?? [];
    list.push({ HostIp: port.hostIp, HostPort: port.host ? String(port.host) : '' });
    bindings[key] = list;
  }

  const hostConfig: Dockerode.HostConfig = {
    NanoCpus: Math.round(resources.cpu * 1e9),
    Memory: Math.round(resources.memory * MB),
    // Same as Memory: no swap on top, otherwise the memory limit would not be one.
    MemorySwap: Math.round(resources.memory * MB),
    PidsLimit: resources.pids,
    ReadonlyRootfs: security.readOnly,
    SecurityOpt: security.noNewPrivileges ? ['no-new-privileges:true'] : [],
    CapDrop: security.capabilities.drop,
    CapAdd: security.capabilities.add,
    Mounts: config.volumes.map((mount) => ({
      Type: mount.type,
      Source: mount.source,
      Target: mount.target,
      ReadOnly: mount.readOnly,
    })),
    NetworkMode: networkMode(config),
    PortBindings: bindings,
    Init: options.init,
  };
  if (options.applyDisk && resources.disk !== undefined) {
    hostConfig.StorageOpt = { size: `${resources.disk}M` };
  }
  if (options.logDriver !== null) {
    hostConfig.LogConfig = { Type: options.logDriver, Config: { ...options.logOptions } };
  }

  const body: Dockerode.ContainerCreateOptions = {
    Image: config.image,
    Env: Object.entries(config.env).map(([key, value]) => `${key}=${value}`),
    Labels: options.labels,
    User: security.user,
    ExposedPorts: exposed,
    HostConfig: hostConfig,
    // Never a TTY: with one the engine merges stdout and stderr and logs cannot be split again.
    Tty: false,
    AttachStdin: false,
    OpenStdin: false,
  };
  if (config.command !== undefined) body.Cmd = config.command;
  if (config.entrypoint !== undefined) body.Entrypoint = config.entrypoint;
  if (config.workingDir !== undefined) body.WorkingDir = config.workingDir;
  if (config.healthcheck) {
    const check = config.healthcheck;
    body.Healthcheck = {
      Test: ['CMD', ...check.command],
      Interval: check.intervalMs * NS_PER_MS,
      Timeout: check.timeoutMs * NS_PER_MS,
      Retries: check.retries,
      StartPeriod: check.startPeriodMs * NS_PER_MS,
    };
  }
  return body;
}

/** The `logOptions` driver option, checked once when the driver is made. */
export function parseLogDriverOptions(
  input: unknown,
  logDriver: string | null,
): Record<string, string> {
  if (input === undefined) return {};
  const options = plainData<Record<string, unknown>>(input, 'logOptions');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError(
      "logOptions must be an object of strings, e.g. { 'max-size': '10m', 'max-file': '3' }",
    );
  }
  if (logDriver === null && Object.keys(options).length > 0) {
    throw new ConfigurationError(
      'logOptions need a logDriver: with logDriver: null the engine default and its options apply',
    );
  }
  const bad = Object.entries(options).filter(
    ([key, value]) => !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(key) || typeof value !== 'string',
  );
  if (bad.length > 0) {
    throw new ConfigurationError(
      `logOptions: ${bad.map(([key]) => JSON.stringify(key)).join(', ')} must be option names (letters, digits, '.', '_', '-') with string values`,
    );
  }
  return options as Record<string, string>;
}
