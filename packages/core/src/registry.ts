import { CONTRACT_VERSION } from './contract-version.js';
import {
  checkOptionKeys,
  type DriverEntry,
  type DriverFactory,
  type DriverOptionsByName,
  optionsObject,
  type ResolvedEntry,
  toEntry,
} from './driver-entry.js';
import { loadDriverModule, parseDriverAddress } from './driver-modules.js';
import { ConfigurationError, getErrorMessage } from './errors/index.js';
import { nearestName } from './nearest-name.js';
import type { ContainerDriver } from './types.js';

/** The drivers Berth ships, and the package each lives in. */
export const BUILTIN_DRIVERS = {
  docker: '@berth/driver-docker',
  local: '@berth/driver-local',
  'mock-docker': '@berth/driver-mock',
  'mock-local': '@berth/driver-mock',
} as const;

export type BuiltinDriverName = keyof typeof BUILTIN_DRIVERS;

/** What detectDriver tries, best first; the mocks are never picked for you. */
const DETECTION_ORDER = ['docker', 'local'] as const;

const registered = new Map<string, ResolvedEntry>();

/** A name as a message can show it: what callers pass may be long or odd. */
function shown(name: string): string {
  return name.length <= 64 && /^[\x20-\x7e]*$/.test(name)
    ? `'${name}'`
    : JSON.stringify(name.slice(0, 64));
}

/**
 * Registers a driver under a name in this process (for drivers that are not packages): a
 * factory, or an entry with `create` and optionally `options` and `probe`. Returns the undo.
 */
export function registerDriver<Options = Record<string, unknown>>(
  name: string,
  driver: DriverFactory<Options> | DriverEntry<Options>,
): () => void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ConfigurationError(
      'registerDriver needs a non-empty name, e.g. registerDriver("my-driver", (options) => new MyDriver(options)).',
    );
  }
  const entry = toEntry(driver, `The driver given to registerDriver(${shown(name)})`);
  registered.set(name, entry);
  return () => {
    if (registered.get(name) === entry) registered.delete(name);
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

function checkKeys(
  value: unknown,
  accepted: readonly string[],
  what: string,
  hints: Record<string, string> = {},
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(
      `${what} must be an object with any of: ${accepted.join(', ')}; got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`,
    );
  }
  for (const key of Object.keys(value)) {
    if (accepted.includes(key)) continue;
    const near = nearestName(key, accepted);
    const hint = Object.hasOwn(hints, key) ? hints[key] : undefined;
    throw new ConfigurationError(
      `${what} has no option ${shown(key)}${near ? ` (did you mean '${near}'?)` : ''}. ${
        hint ?? `Its options are: ${accepted.join(', ')}.`
      }`,
      [{ path: [key], message: `unknown option ${shown(key)}`, stage: 'schema' }],
    );
  }
}

/** `pkg`: the package the name would be, when it could be one; the advice is to install it. */
function unknownDriver(name: string, pkg?: string): ConfigurationError {
  const near = nearestName(name, knownNames());
  const known = `Known drivers: ${knownNames().join(', ')}`;
  if (near) {
    return new ConfigurationError(
      `Unknown driver ${shown(name)}: did you mean '${near}'? ${known}.`,
    );
  }
  return new ConfigurationError(
    pkg
      ? `Unknown driver ${shown(name)}: it is neither a known driver nor an installed package. ${known}; or, if it is a driver package, install it with: pnpm add ${pkg}.`
      : `Unknown driver ${shown(name)}. ${known}; or give an installed driver package as 'package' or 'package/driver'.`,
  );
}

/** The entries a package's `berthDrivers` offers, by name. */
function driverEntries(module: unknown, pkg: string): Record<string, unknown> {
  const entries = (module as { berthDrivers?: unknown } | null)?.berthDrivers;
  if (typeof entries !== 'object' || entries === null) {
    throw new ConfigurationError(
      `Package ${pkg} does not export 'berthDrivers', so it is not a Berth driver package. A driver package exports berthDrivers: { '<name>': (options) => driver } or { '<name>': { create, options, probe } }.`,
    );
  }
  return entries as Record<string, unknown>;
}

function pickEntry(module: unknown, pkg: string, name: string | undefined): ResolvedEntry {
  const entries = driverEntries(module, pkg);
  const names = Object.keys(entries);
  let chosen = name;
  if (chosen === undefined) {
    // The package alone names its only driver, or one named like the package.
    chosen = Object.hasOwn(entries, pkg) ? pkg : names.length === 1 ? names[0] : undefined;
    if (chosen === undefined) {
      throw new ConfigurationError(
        `Package ${pkg} offers several drivers (${names.join(', ')}): name one, as ${names
          .map((n) => `'${pkg}/${n}'`)
          .join(' or ')}.`,
      );
    }
  }
  if (!Object.hasOwn(entries, chosen)) {
    const near = nearestName(chosen, names);
    throw new ConfigurationError(
      `Package ${pkg} has no driver named ${shown(chosen)}${
        near ? ` (did you mean '${near}'?)` : ''
      }; it offers: ${names.join(', ')}.`,
    );
  }
  return toEntry(entries[chosen], `berthDrivers[${shown(chosen)}] of ${pkg}`);
}

/** The built-in's entry, or undefined when its package is not installed. */
async function builtinEntry(
  name: BuiltinDriverName,
  from: string,
): Promise<ResolvedEntry | undefined> {
  const local = registered.get(name);
  if (local) return local;
  const pkg = BUILTIN_DRIVERS[name];
  const module = await loadDriverModule(pkg, from);
  return module === undefined ? undefined : pickEntry(module, pkg, name);
}

async function resolveEntry(name: string, from: string): Promise<ResolvedEntry> {
  const local = registered.get(name);
  if (local) return local;
  if (Object.hasOwn(BUILTIN_DRIVERS, name)) {
    const entry = await builtinEntry(name as BuiltinDriverName, from);
    if (entry) return entry;
    const pkg = BUILTIN_DRIVERS[name as BuiltinDriverName];
    throw new ConfigurationError(
      `Driver '${name}' needs the package ${pkg}, which is not installed. Install it with: pnpm add ${pkg} (or npm install ${pkg}).`,
    );
  }
  const address = parseDriverAddress(name);
  if (!address) throw unknownDriver(name);
  const module = await loadDriverModule(address.pkg, from);
  if (module === undefined) throw unknownDriver(name, address.pkg);
  return pickEntry(module, address.pkg, address.name);
}

function checkContract(driver: ContainerDriver, name: string): ContainerDriver {
  if (driver?.contractVersion !== CONTRACT_VERSION) {
    throw new ConfigurationError(
      `Driver ${shown(name)} implements contract ${String(driver?.contractVersion)}, but this @berth/core implements ${CONTRACT_VERSION}. Install versions of the driver and @berth/core that share a contract version.`,
    );
  }
  return driver;
}

/** The options type for a driver name: the driver's own where its package declares it. */
export type DriverOptionsFor<Name extends string> = Name extends keyof DriverOptionsByName
  ? DriverOptionsByName[Name]
  : Record<string, unknown>;

/**
 * Makes a driver by name: a built-in name (`docker`, `local`, `mock-docker`, `mock-local`), a
 * name given to registerDriver, or a driver package as `package` (its only driver) or
 * `package/driver` (e.g. `@berth/driver-mock/mock-local`). The package is loaded only now, so
 * an uninstalled driver costs nothing. Without a name, BERTH_DRIVER decides, and without that,
 * detectDriver(). Options the driver does not declare are refused.
 */
export async function createDriver<Name extends string = string>(
  name?: Name,
  options?: DriverOptionsFor<Name>,
  registry: RegistryOptions = {},
): Promise<ContainerDriver> {
  checkKeys(registry, ['resolveFrom', 'env'], 'The registry argument of createDriver');
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
    throw new ConfigurationError(
      `A driver name must be a non-empty string such as 'local', got ${
        typeof name === 'string' ? 'an empty one' : typeof name
      }. Omit it to use BERTH_DRIVER or detection.`,
    );
  }
  const env = registry.env ?? process.env;
  const from = registry.resolveFrom ?? process.cwd();
  const given = optionsObject(
    options,
    name === undefined ? 'createDriver' : `driver ${shown(name)}`,
  );
  const chosen =
    name ??
    (env.BERTH_DRIVER?.trim() || undefined) ??
    (await detectDriver({ options: given, resolveFrom: from }));

  const entry = await resolveEntry(chosen, from);
  if (entry.options) checkOptionKeys(given, entry.options, chosen);
  return checkContract(await entry.create(given), chosen);
}

export interface DetectOptions {
  /** The options the driver would be made with: probes read them (e.g. Docker's socketPath). */
  options?: Record<string, unknown>;
  /** How long each driver's probe may take; 1000 ms by default. */
  timeoutMs?: number;
  /** Directory to resolve driver packages from, as for createDriver. */
  resolveFrom?: string;
}

/** Runs a probe within its time; anything but a true answer in time is no. */
async function probeSays(entry: ResolvedEntry, options: Record<string, unknown>, ms: number) {
  if (!entry.probe) return { ok: true };
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ ok: boolean; why?: string }>((done) => {
    timer = setTimeout(() => {
      controller.abort();
      done({ ok: false, why: `gave no answer within ${ms} ms` });
    }, ms);
  });
  try {
    const answer = Promise.resolve(
      entry.probe({ options, timeoutMs: ms, signal: controller.signal }),
    ).then(
      (ok) => (ok === true ? { ok: true } : { ok: false, why: 'answered no' }),
      (error: unknown) => ({ ok: false, why: `failed: ${getErrorMessage(error)}` }),
    );
    return await Promise.race([answer, timeout]);
  } catch (error) {
    return { ok: false, why: `failed: ${getErrorMessage(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The best installed driver this host can run: `docker` when @berth/driver-docker is installed
 * and its probe reaches an engine, else `local` when @berth/driver-local is installed (and its
 * probe agrees). A ConfigurationError saying what to install when neither is usable.
 */
export async function detectDriver(detect: DetectOptions = {}): Promise<'docker' | 'local'> {
  checkKeys(detect, ['options', 'timeoutMs', 'resolveFrom'], 'detectDriver', {
    dockerHost:
      'Docker probing moved to @berth/driver-docker: pass the address as { options: { socketPath } } or { options: { host, port } }, or set DOCKER_HOST.',
  });
  const timeoutMs = detect.timeoutMs ?? 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigurationError(
      `detectDriver's timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`,
    );
  }
  const options = optionsObject(detect.options, 'detectDriver');
  const from = detect.resolveFrom ?? process.cwd();
  const reasons: string[] = [];
  for (const name of DETECTION_ORDER) {
    const entry = await builtinEntry(name, from);
    if (!entry) {
      reasons.push(`${BUILTIN_DRIVERS[name]} is not installed`);
      continue;
    }
    const answer = await probeSays(entry, options, timeoutMs);
    if (answer.ok) return name;
    reasons.push(`'${name}' cannot run here (its probe ${answer.why})`);
  }
  throw new ConfigurationError(
    `No installed driver can run on this host: ${reasons.join('; ')}. Install one with: pnpm add @berth/driver-local (no Docker needed) or pnpm add @berth/driver-docker (with a Docker engine running); or name a driver, or set BERTH_DRIVER.`,
  );
}
