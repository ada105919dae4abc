import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTRACT_VERSION } from './contract-version.js';
import { pingDockerEngine } from './docker-ping.js';
import { ConfigurationError, getErrorMessage } from './errors.js';
import type { ContainerDriver } from './types.js';

/** Makes a driver from its options. A driver package exports these as `berthDrivers`. */
export type DriverFactory = (
  options?: Record<string, unknown>,
) => ContainerDriver | Promise<ContainerDriver>;

/** The drivers Berth ships, and the package each lives in. */
export const BUILTIN_DRIVERS = {
  docker: '@berth/driver-docker',
  local: '@berth/driver-local',
  'mock-docker': '@berth/driver-mock',
  'mock-local': '@berth/driver-mock',
} as const;

export type BuiltinDriverName = keyof typeof BUILTIN_DRIVERS;

const registered = new Map<string, DriverFactory>();

/** Registers a driver under a name in this process (for drivers that are not packages). */
export function registerDriver(name: string, factory: DriverFactory): () => void {
  registered.set(name, factory);
  return () => {
    if (registered.get(name) === factory) registered.delete(name);
  };
}

export interface RegistryOptions {
  /** Directory to resolve driver packages from when the core cannot; defaults to process.cwd(). */
  resolveFrom?: string;
  /** Environment to read BERTH_DRIVER from; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

function knownNames(): string[] {
  return [...new Set([...Object.keys(BUILTIN_DRIVERS), ...registered.keys()])].sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function exportEntry(exportsField: unknown): string | undefined {
  if (typeof exportsField === 'string') return exportsField;
  if (typeof exportsField !== 'object' || exportsField === null) return undefined;
  const map = exportsField as Record<string, unknown>;
  if ('.' in map) return exportEntry(map['.']);
  for (const condition of ['import', 'node', 'default']) {
    const entry = exportEntry(map[condition]);
    if (entry) return entry;
  }
  return undefined;
}

/*
 * With pnpm's strict layout the core cannot see packages it does not depend on, and drivers
 * are the application's dependencies, not the core's. So after a plain import fails, look the
 * package up from the application's directory the way Node would.
 */
async function importFromDirectory(pkg: string, from: string): Promise<unknown | undefined> {
  let dir = resolve(from);
  for (;;) {
    const root = join(dir, 'node_modules', pkg);
    const manifestPath = join(root, 'package.json');
    if (await exists(manifestPath)) {
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
      const entry =
        exportEntry(manifest.exports) ??
        (typeof manifest.module === 'string' ? manifest.module : undefined) ??
        (typeof manifest.main === 'string' ? manifest.main : 'index.js');
      return import(pathToFileURL(join(root, entry)).href);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isMissingModule(error: unknown, pkg: string): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    getErrorMessage(error).includes(`'${pkg}'`)
  );
}

async function loadDriverModule(pkg: string, from: string): Promise<unknown | undefined> {
  try {
    return await import(pkg);
  } catch (error) {
    if (!isMissingModule(error, pkg)) throw error;
  }
  return importFromDirectory(pkg, from);
}

function pickFactory(module: unknown, pkg: string, name: string): DriverFactory {
  const factories = (module as { berthDrivers?: Record<string, DriverFactory> }).berthDrivers;
  if (typeof factories !== 'object' || factories === null) {
    throw new ConfigurationError(
      `Package ${pkg} does not export 'berthDrivers', so it is not a Berth driver package. A driver package exports berthDrivers: { '<name>': (options) => driver }.`,
    );
  }
  const entries = Object.entries(factories);
  const factory = factories[name] ?? (entries.length === 1 ? entries[0]?.[1] : undefined);
  if (typeof factory !== 'function') {
    throw new ConfigurationError(
      `Package ${pkg} has no driver named '${name}'; it offers: ${entries.map(([n]) => n).join(', ')}.`,
    );
  }
  return factory;
}

function checkContract(driver: ContainerDriver, name: string): ContainerDriver {
  if (driver.contractVersion !== CONTRACT_VERSION) {
    throw new ConfigurationError(
      `Driver '${name}' implements contract ${String(driver.contractVersion)}, but this @berth/core implements ${CONTRACT_VERSION}. Install versions of the driver and @berth/core that share a contract version.`,
    );
  }
  return driver;
}

const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * Makes a driver by name: a built-in name (`docker`, `local`, `mock-docker`, `mock-local`), a
 * name given to registerDriver, or the package name of a third-party driver. The driver's
 * package is loaded only now, so an uninstalled driver costs nothing. Without a name,
 * BERTH_DRIVER decides, and without that, detectDriver().
 */
export async function createDriver(
  name?: string,
  options: Record<string, unknown> = {},
  registry: RegistryOptions = {},
): Promise<ContainerDriver> {
  const env = registry.env ?? process.env;
  const chosen = name ?? (env.BERTH_DRIVER?.trim() || undefined) ?? (await detectDriver());

  const local = registered.get(chosen);
  if (local) return checkContract(await local(options), chosen);

  const builtin = BUILTIN_DRIVERS[chosen as BuiltinDriverName] as string | undefined;
  const pkg = builtin ?? chosen;
  if (!builtin && !PACKAGE_NAME.test(pkg)) {
    throw new ConfigurationError(
      `Unknown driver '${chosen}'. Known drivers: ${knownNames().join(', ')}; or give the package name of an installed driver package.`,
    );
  }
  const module = await loadDriverModule(pkg, registry.resolveFrom ?? process.cwd());
  if (module === undefined) {
    throw new ConfigurationError(
      builtin
        ? `Driver '${chosen}' needs the package ${pkg}, which is not installed. Install it with: pnpm add ${pkg} (or npm install ${pkg}).`
        : `Unknown driver '${chosen}': it is neither a known driver (${knownNames().join(', ')}) nor an installed package. If it is a driver package, install it with: pnpm add ${pkg}.`,
    );
  }
  const factory = pickFactory(module, pkg, chosen);
  return checkContract(await factory(options), chosen);
}

export interface DetectOptions {
  /** Engine address; defaults to DOCKER_HOST, then the default socket. */
  dockerHost?: string;
  timeoutMs?: number;
}

/** `docker` when a Docker engine answers, otherwise `local`. */
export async function detectDriver(options: DetectOptions = {}): Promise<'docker' | 'local'> {
  return (await pingDockerEngine(options)) ? 'docker' : 'local';
}
