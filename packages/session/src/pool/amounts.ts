import {
  ConfigurationError,
  type ContainerConfig,
  type ContainerConfigInput,
  parseResourceLimits,
} from '@berth/core';

/** What a container asks for, or what a pool holds: cores, MB of memory, MB of disk, processes. */
export interface ResourceAmounts {
  cpu: number;
  memoryMb: number;
  /** Absent: no disk limit asked for (a pool: disk is not counted). */
  diskMb?: number;
  /** Absent: a pool does not count processes. */
  pids?: number;
}

/** A pool's size. `diskMb` and `pids` are counted only when given. */
export type PoolCapacity = ResourceAmounts;

/** What reserve and allocate take: any resource left out is asked for as 0. */
export type ResourceRequest = Partial<ResourceAmounts>;

export type PoolResource = keyof ResourceAmounts;

export const RESOURCES: readonly PoolResource[] = ['cpu', 'memoryMb', 'diskMb', 'pids'];

const UNIT_NAMES: Record<PoolResource, string> = {
  cpu: 'cores',
  memoryMb: 'MB',
  diskMb: 'MB',
  pids: 'processes',
};

// The names a container config uses, which a caller easily carries over.
const MISSPELLINGS: Record<string, PoolResource> = {
  memory: 'memoryMb',
  memoryMB: 'memoryMb',
  disk: 'diskMb',
  diskMB: 'diskMb',
  cpus: 'cpu',
};

/*
 * Amounts are counted in integer millionths (pids in whole processes), not in floating point:
 * ten allocations of 0.1 cores then fill one core exactly, and releasing them all gives the
 * pool back exactly what it started with, with no drift left to admit or refuse a request by.
 */
const SCALE: Record<PoolResource, number> = {
  cpu: 1_000_000,
  memoryMb: 1_000_000,
  diskMb: 1_000_000,
  pids: 1,
};

/** Counted amounts per resource; only the resources the pool counts are keys. */
export type Units = Partial<Record<PoolResource, number>>;

/** `2 cores of cpu`, `512 MB of memory`, `100 pids`: for messages. */
export function describeAmount(resource: PoolResource, amount: number): string {
  switch (resource) {
    case 'cpu':
      return `${amount} core${amount === 1 ? '' : 's'} of cpu`;
    case 'memoryMb':
      return `${amount} MB of memory`;
    case 'diskMb':
      return `${amount} MB of disk`;
    case 'pids':
      return `${amount} pid${amount === 1 ? '' : 's'}`;
  }
}

export function fromUnits(units: Units): ResourceAmounts {
  const amounts: ResourceAmounts = { cpu: 0, memoryMb: 0 };
  for (const resource of RESOURCES) {
    const value = units[resource];
    if (value !== undefined) amounts[resource] = value / SCALE[resource];
  }
  return amounts;
}

export function unitsToAmount(resource: PoolResource, value: number): number {
  return value / SCALE[resource];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shownValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function toUnit(resource: PoolResource, value: number): number {
  return resource === 'pids' ? value : Math.round(value * SCALE[resource]);
}

/** Refuses keys that are no resource, naming the one a misspelling most likely meant. */
export function checkResourceKeys(input: Record<string, unknown>, what: string): void {
  for (const key of Object.keys(input)) {
    if ((RESOURCES as readonly string[]).includes(key)) continue;
    const meant = MISSPELLINGS[key];
    throw new ConfigurationError(
      `${what} has an unknown resource '${key}'${meant ? `: did you mean '${meant}'?` : '.'} A pool counts ${RESOURCES.join(', ')}.`,
    );
  }
}

/**
 * Validates a pool's capacity: cpu and memoryMb required, every given one a positive finite
 * number (pids a whole one). Returns it in units, with only the counted resources as keys.
 */
export function capacityUnits(input: unknown): Units {
  if (!isRecord(input)) {
    throw new ConfigurationError(
      `A ResourcePool needs { capacity: { cpu, memoryMb, diskMb?, pids? } }, got capacity ${shownValue(input)}.`,
    );
  }
  checkResourceKeys(input, 'The pool capacity');
  const units: Units = {};
  for (const resource of RESOURCES) {
    const value = input[resource];
    if (value === undefined && (resource === 'diskMb' || resource === 'pids')) continue;
    const whole = resource === 'pids' ? Number.isInteger(value) : true;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || !whole) {
      throw new ConfigurationError(
        `The pool capacity's ${resource} must be a positive finite ${resource === 'pids' ? 'whole number' : 'number'} of ${UNIT_NAMES[resource]}, got ${shownValue(value)}${
          resource === 'diskMb' || resource === 'pids' ? ' (leave it out not to count it)' : ''
        }.`,
      );
    }
    const counted = toUnit(resource, value);
    if (!Number.isSafeInteger(counted)) {
      throw new ConfigurationError(
        `The pool capacity's ${resource} (${value}) is too large to count exactly; give at most ${Number.MAX_SAFE_INTEGER / SCALE[resource]}.`,
      );
    }
    units[resource] = counted;
  }
  return units;
}

/**
 * Validates a request (each given resource a finite number ≥ 0, pids a whole one) and returns
 * the units of the resources `counted` holds; the others are not counted and drop out.
 */
export function requestUnits(input: unknown, counted: Units, what: string): Units {
  if (!isRecord(input)) {
    throw new ConfigurationError(
      `${what} needs amounts such as { cpu: 1, memoryMb: 512 } (amountsOf(config) gives them for a container), got ${shownValue(input)}.`,
    );
  }
  checkResourceKeys(input, what);
  const units: Units = {};
  for (const resource of RESOURCES) {
    const value = input[resource] ?? 0;
    const whole = resource === 'pids' ? Number.isInteger(value) : true;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || !whole) {
      throw new ConfigurationError(
        `${what}: ${resource} must be a finite ${resource === 'pids' ? 'whole number' : 'number'} of ${UNIT_NAMES[resource]}, 0 or more, got ${shownValue(value)}.`,
      );
    }
    if (counted[resource] !== undefined) units[resource] = toUnit(resource, value);
  }
  return units;
}

export function addUnits(target: Units, amounts: Units, sign: 1 | -1 = 1): void {
  for (const resource of RESOURCES) {
    const value = amounts[resource];
    if (value !== undefined) target[resource] = (target[resource] ?? 0) + sign * value;
  }
}

/** The first resource where `request` is more than `available`, or undefined when it fits. */
export function shortOf(request: Units, available: Units): PoolResource | undefined {
  return RESOURCES.find((r) => (request[r] ?? 0) > (available[r] ?? 0));
}

/** `a - b` per counted resource, never below 0. */
export function minusUnits(a: Units, b: Units): Units {
  const out: Units = {};
  for (const resource of RESOURCES) {
    const value = a[resource];
    if (value !== undefined) out[resource] = Math.max(0, value - (b[resource] ?? 0));
  }
  return out;
}

/**
 * What a container config asks for, in pool terms: cpu cores, memory and disk in MB, pids,
 * with core's defaults for what the config leaves out (0.5 cores, 512 MB, 100 pids; no disk
 * limit, so no `diskMb`). Only the resources block is validated: the rest of the config (its
 * user, its capabilities) is the driver's to judge, under options the pool does not know.
 */
export function amountsOf(config: ContainerConfigInput | ContainerConfig): ResourceAmounts {
  if (!isRecord(config)) {
    throw new ConfigurationError(
      `amountsOf needs a container config (an object, its resources optional), got ${shownValue(config)}.`,
    );
  }
  const limits = parseResourceLimits(config.resources ?? {});
  return {
    cpu: limits.cpu,
    memoryMb: limits.memory,
    ...(limits.disk === undefined ? {} : { diskMb: limits.disk }),
    pids: limits.pids,
  };
}
