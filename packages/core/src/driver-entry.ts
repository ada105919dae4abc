import { ConfigurationError, getErrorMessage } from './errors/index.js';
import { nearestName } from './nearest-name.js';
import type { ContainerDriver } from './types.js';

/** Makes a driver from its options. A driver package may export these as `berthDrivers`. */
export type DriverFactory<Options = Record<string, unknown>> = (
  options?: Options,
) => ContainerDriver | Promise<ContainerDriver>;

/** One key per option a driver accepts: `{ stateDir: true, … }`, checked against Options. */
export type OptionKeys<Options> = { readonly [K in keyof Options & string]-?: true };

/** What a probe is told: the options the driver would be made with, and how long it has. */
export interface DriverProbeContext<Options = Record<string, unknown>> {
  options: Options;
  /** Detection moves on once this has passed, whatever the probe does. */
  timeoutMs: number;
  /** Aborted when the probe's time is up. */
  signal: AbortSignal;
}

/**
 * A driver as a package offers it in `berthDrivers`: how to make it, which options it takes,
 * and how to tell whether this host can run it.
 */
export interface DriverEntry<Options = Record<string, unknown>> {
  create(options: Options): ContainerDriver | Promise<ContainerDriver>;
  /**
   * Every option `create` accepts. When given, createDriver refuses any other key as the
   * typo it most likely is (`statedir` for `stateDir`) instead of letting it be ignored.
   */
  options?: OptionKeys<Options>;
  /**
   * Whether this host can run the driver (the Docker driver pings its engine). detectDriver
   * picks a driver only when this answers true; without a probe it assumes yes. A probe that
   * throws or outlasts its time counts as no.
   */
  probe?(context: DriverProbeContext<Options>): boolean | Promise<boolean>;
}

/**
 * Option types by driver name, filled in by driver packages (module augmentation), so that
 * `createDriver('local', { statedir })` is a type error where the driver's types are loaded.
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by the driver packages.
export interface DriverOptionsByName {}

/** An entry the registry can use: a plain factory is one with no option list and no probe. */
export interface ResolvedEntry {
  create(options: Record<string, unknown>): ContainerDriver | Promise<ContainerDriver>;
  options?: readonly string[];
  probe?(context: DriverProbeContext): boolean | Promise<boolean>;
}

/** Reads a `berthDrivers` value (a factory or an entry) into one shape, or says what is wrong. */
export function toEntry(value: unknown, where: string): ResolvedEntry {
  if (typeof value === 'function') {
    return { create: (options) => (value as DriverFactory)(options) };
  }
  const entry = value as Partial<Record<'create' | 'options' | 'probe', unknown>> | null;
  if (typeof entry !== 'object' || entry === null || typeof entry.create !== 'function') {
    throw new ConfigurationError(
      `${where} is neither a factory nor an entry with create(): give (options) => driver, or { create(options) { return driver }, options?, probe? }.`,
    );
  }
  const resolved: ResolvedEntry = {
    create: (options) => (entry.create as DriverFactory)(options),
  };
  if (entry.options !== undefined) resolved.options = optionList(entry.options, where);
  if (entry.probe !== undefined) {
    if (typeof entry.probe !== 'function') {
      throw new ConfigurationError(
        `${where}.probe must be a function answering whether this host can run the driver.`,
      );
    }
    const probe = entry.probe as NonNullable<ResolvedEntry['probe']>;
    resolved.probe = (context) => probe.call(entry, context);
  }
  return resolved;
}

function optionList(value: unknown, where: string): readonly string[] {
  // An array of names is accepted too, for packages written without the types.
  const keys = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null
      ? Object.keys(value)
      : undefined;
  if (!keys?.every((key) => typeof key === 'string')) {
    throw new ConfigurationError(
      `${where}.options must list the option names the driver accepts, as { name: true, … }.`,
    );
  }
  return keys;
}

/** The options as a plain object of keys, or a ConfigurationError saying what was given. */
export function optionsObject(options: unknown, of: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError(
      `The options of ${of} must be an object such as { enforcement: 'strict' }, got ${
        Array.isArray(options) ? 'an array' : options === null ? 'null' : typeof options
      }.`,
    );
  }
  return options as Record<string, unknown>;
}

/**
 * Refuses keys a driver does not take: a misspelt option silently ignored is a setting the
 * user believes in and does not have (a state directory, a security allowance).
 */
export function checkOptionKeys(
  options: Record<string, unknown>,
  accepted: readonly string[],
  driver: string,
): void {
  let given: string[];
  try {
    given = Object.keys(options);
  } catch (error) {
    throw new ConfigurationError(
      `The options of driver '${driver}' could not be read (${getErrorMessage(error)}): pass a plain object.`,
      [],
      { cause: error },
    );
  }
  const known = new Set(accepted);
  const unknown = given.filter((key) => !known.has(key));
  if (unknown.length === 0) return;
  const phrases = unknown.map((key) => {
    const near = nearestName(key, accepted);
    return `'${key}'${near ? ` (did you mean '${near}'?)` : ''}`;
  });
  throw new ConfigurationError(
    `Driver '${driver}' has no option ${phrases.join(', ')}. Its options are: ${[...accepted].sort().join(', ')}.`,
    unknown.map((key, i) => ({
      path: [key],
      message: `unknown option ${phrases[i]}`,
      stage: 'schema' as const,
    })),
  );
}
