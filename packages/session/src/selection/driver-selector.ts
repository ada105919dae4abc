import {
  ConfigurationError,
  type ContainerConfig,
  type ContainerConfigInput,
  type ContainerDriver,
  type DriverCapabilities,
  getErrorMessage,
  parseContainerConfig,
  unenforcedFeatures,
  type ValidationOptions,
} from '@berth/core';
import {
  amountsOf,
  checkResourceKeys,
  describeAmount,
  isRecord,
  type PoolResource,
  RESOURCES,
  type ResourceAmounts,
} from '../pool/amounts.js';
import { type DriverRejection, NoDriverFitsError } from './errors.js';
import { type CapabilityNeeds, readNeeds, unmetNeeds } from './needs.js';

/** The most one container may ask for on a driver: cores, MB of memory and disk, pids. */
export type DriverLimits = Partial<ResourceAmounts>;

export interface SelectableDriver {
  /** The name preference and rejections refer to it by. */
  name: string;
  driver: ContainerDriver;
  limits?: DriverLimits;
}

export interface DriverSelectorOptions {
  /** Names tried first, in this order; the others follow in the order given. */
  preference?: readonly string[];
  /**
   * How configs are validated (allowRoot, allowCapabilities): as the drivers are set up to
   * validate them, or a config they accept is refused here.
   */
  validation?: ValidationOptions;
}

export interface SelectOptions {
  /** Capabilities needed beyond what the config asks to enforce. */
  needs?: CapabilityNeeds;
  /** Aborts the capabilities calls; select then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface Selection {
  name: string;
  driver: ContainerDriver;
  /** The config parsed, defaults filled: what to give `driver.createContainer`. */
  config: ContainerConfig;
  /** The drivers tried before this one, and why each did not fit. */
  skipped: DriverRejection[];
}

interface Entry {
  name: string;
  driver: ContainerDriver;
  limits: DriverLimits;
}

const OPTION_KEYS = new Set(['preference', 'validation']);
const SELECT_KEYS = new Set(['needs', 'signal']);

/**
 * Picks, among configured drivers, the first (preferred ones first) that can run a request as
 * asked: within its limits, enforcing everything the config asks for (a read-only root never
 * lands on a driver that cannot make one), offering what `needs` lists, and answering its
 * capabilities call. Capabilities are asked afresh on every select, as they describe the host
 * now, and only of drivers whose limits the request is within.
 */
export class DriverSelector {
  readonly #entries: Entry[];
  readonly #validation: ValidationOptions;

  constructor(drivers: readonly SelectableDriver[], options: DriverSelectorOptions = {}) {
    if (!Array.isArray(drivers) || drivers.length === 0) {
      throw new ConfigurationError(
        'new DriverSelector needs at least one driver: [{ name, driver, limits? }, …].',
      );
    }
    const entries = drivers.map((choice, index) => readChoice(choice, index));
    const names = entries.map((e) => e.name);
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated !== undefined) {
      throw new ConfigurationError(
        `Two drivers are named '${repeated}': give each its own name, which preference and rejections refer to.`,
      );
    }
    if (!isRecord(options)) {
      throw new ConfigurationError('DriverSelector options must be { preference?, validation? }.');
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) {
        throw new ConfigurationError(
          `DriverSelector has no option '${key}': it takes preference and validation.`,
        );
      }
    }
    const preference = readPreference(options.preference, names);
    this.#entries = [
      ...preference.map((name) => entries.find((e) => e.name === name) as Entry),
      ...entries.filter((e) => !preference.includes(e.name)),
    ];
    const { validation } = options;
    if (validation !== undefined && !isRecord(validation)) {
      throw new ConfigurationError(
        'DriverSelector validation must be ValidationOptions ({ allowRoot?, allowCapabilities? }), as the drivers validate with.',
      );
    }
    this.#validation = { ...(validation as ValidationOptions | undefined) };
  }

  /** The driver names in the order they are tried. */
  get order(): string[] {
    return this.#entries.map((e) => e.name);
  }

  /**
   * The first driver that fits `config`, with the config parsed. An invalid config is core's
   * ConfigurationError; none fitting is a NoDriverFitsError listing, per driver, why not.
   */
  async select(config: ContainerConfigInput, options: SelectOptions = {}): Promise<Selection> {
    const { needs, signal } = readSelectOptions(options);
    const parsed = parseContainerConfig(config, this.#validation);
    const asks = amountsOf(parsed);
    signal?.throwIfAborted();
    const rejected: DriverRejection[] = [];
    for (const entry of this.#entries) {
      const overLimits = limitReasons(asks, entry.limits);
      if (overLimits.length > 0) {
        rejected.push({ name: entry.name, reasons: overLimits });
        continue;
      }
      let caps: DriverCapabilities;
      try {
        caps = await entry.driver.capabilities(signal ? { signal } : undefined);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        rejected.push({
          name: entry.name,
          reasons: [`its capabilities() call failed: ${getErrorMessage(error)}`],
          error,
        });
        continue;
      }
      const unenforced = unenforcedFeatures(parsed, caps);
      const reasons = [
        ...unenforced.map(
          (f) => `cannot enforce ${f.feature} (${f.path}${f.reason ? `: ${f.reason}` : ''})`,
        ),
        ...unmetNeeds(needs, caps),
      ];
      if (reasons.length === 0) {
        return { name: entry.name, driver: entry.driver, config: parsed, skipped: rejected };
      }
      rejected.push({
        name: entry.name,
        reasons,
        ...(unenforced.length > 0 ? { unenforced } : {}),
      });
    }
    throw new NoDriverFitsError(
      rejected,
      `the container of image '${parsed.image}'${parsed.name ? ` named '${parsed.name}'` : ''}`,
    );
  }
}

function limitReasons(asks: ResourceAmounts, limits: DriverLimits): string[] {
  const reasons: string[] = [];
  for (const resource of RESOURCES) {
    const limit = limits[resource];
    const asked = asks[resource];
    // No disk limit asked for is not checked against a disk limit: it asks for no size.
    if (limit === undefined || asked === undefined || asked <= limit) continue;
    reasons.push(
      `asks for ${describeAmount(resource, asked)}, more than its limit of ${describeAmount(resource, limit)}`,
    );
  }
  return reasons;
}

function readChoice(choice: unknown, index: number): Entry {
  const where = `Driver ${index} of the DriverSelector`;
  if (!isRecord(choice)) {
    throw new ConfigurationError(
      `${where} must be { name, driver, limits? }, got ${String(choice)}.`,
    );
  }
  const { name, driver, limits } = choice;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigurationError(`${where} needs a name (a non-empty string).`);
  }
  if (!isRecord(driver) || typeof driver.capabilities !== 'function') {
    throw new ConfigurationError(
      `Driver '${name}' of the DriverSelector is no ContainerDriver (it has no capabilities()): pass the driver instance, e.g. new DockerDriver().`,
    );
  }
  return { name, driver: driver as unknown as ContainerDriver, limits: readLimits(limits, name) };
}

function readLimits(limits: unknown, name: string): DriverLimits {
  if (limits === undefined) return {};
  const what = `The limits of driver '${name}'`;
  if (!isRecord(limits)) {
    throw new ConfigurationError(`${what} must be { cpu?, memoryMb?, diskMb?, pids? }.`);
  }
  checkResourceKeys(limits, what);
  const read: DriverLimits = {};
  for (const [key, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigurationError(
        `${what}: ${key} must be a positive finite number, got ${String(value)} (leave it out for no limit).`,
      );
    }
    read[key as PoolResource] = value;
  }
  return read;
}

function readPreference(preference: unknown, names: string[]): string[] {
  if (preference === undefined) return [];
  if (!Array.isArray(preference)) {
    throw new ConfigurationError(
      `DriverSelector preference must be a list of driver names, got ${String(preference)}.`,
    );
  }
  const seen = new Set<string>();
  for (const name of preference) {
    if (typeof name !== 'string' || !names.includes(name)) {
      throw new ConfigurationError(
        `DriverSelector preference names ${JSON.stringify(name)}, which is no configured driver: they are ${names.map((n) => `'${n}'`).join(', ')}.`,
      );
    }
    if (seen.has(name)) {
      throw new ConfigurationError(
        `DriverSelector preference names '${name}' twice: name it once.`,
      );
    }
    seen.add(name);
  }
  return [...seen];
}

function readSelectOptions(options: unknown): { needs: CapabilityNeeds; signal?: AbortSignal } {
  if (!isRecord(options)) {
    throw new ConfigurationError('select options must be { needs?, signal? }.');
  }
  for (const key of Object.keys(options)) {
    if (!SELECT_KEYS.has(key)) {
      throw new ConfigurationError(`select has no option '${key}': it takes needs and signal.`);
    }
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfigurationError(
      'select: signal must be an AbortSignal (from an AbortController).',
    );
  }
  return { needs: readNeeds(options.needs), ...(signal ? { signal } : {}) };
}
