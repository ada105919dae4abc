import { UsageError } from '../errors/cli-errors.js';
import { quoted } from '../output/sanitize.js';
import { didYouMean } from './suggest.js';

/*
 * Flag values as people type them (`512m`, `10m`, `8080:80`) turned into what the contract
 * takes. Each refusal names the flag and shows an accepted form. Ranges beyond the shape
 * (a memory the host cannot give) are the driver's to judge, with its own typed error.
 */

/** `K=V` pairs of a repeatable flag; a bare `K` takes K from `env` when `fromEnv` is given. */
export function keyValues(
  list: readonly string[],
  flag: string,
  command: string,
  fromEnv?: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at === 0 || item === '') {
      throw new UsageError(`${flag} ${quoted(item)} has no name: use ${flag} NAME=VALUE`, command);
    }
    if (at < 0) {
      const value = fromEnv?.[item];
      if (fromEnv === undefined) {
        throw new UsageError(
          `${flag} ${quoted(item)} has no value: use ${flag} NAME=VALUE`,
          command,
        );
      }
      // As docker does: a name alone passes this environment's value, and nothing if unset.
      if (value !== undefined) out[item] = value;
      continue;
    }
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** `--label k=v` for a filter: a bare `k` matches any value of that label. */
export function labelFilter(
  list: readonly string[],
  command: string,
): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at === 0 || item === '') {
      throw new UsageError(
        `--label ${quoted(item)} has no key: use --label KEY=VALUE or --label KEY`,
        command,
      );
    }
    if (at < 0) out[item] = true;
    else out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

const MEMORY_UNITS: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/** Memory in MB, from `512`, `512m`, `1.5g` or `2048k` (case and a trailing `b` ignored). */
export function memoryMb(text: string, command: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt])?b?$/i.exec(text.trim());
  const number = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isFinite(number) || number <= 0) {
    throw new UsageError(
      `--memory ${quoted(text)} is not a size: use megabytes (512) or a unit (512m, 1g)`,
      command,
    );
  }
  return number * (MEMORY_UNITS[(match[2] ?? 'm').toLowerCase()] ?? 1);
}

/** A positive decimal number, such as `--cpu 0.5`. */
export function positiveNumber(
  text: string,
  flag: string,
  example: string,
  command: string,
): number {
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(
      `${flag} ${quoted(text)} is not a positive number: e.g. ${flag} ${example}`,
      command,
    );
  }
  return value;
}

/** A whole number of at least `min`, such as `--tail 20`. */
export function wholeNumber(text: string, flag: string, min: number, command: string): number {
  const value = /^\d{1,15}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(
      `${flag} ${quoted(text)} is not a whole number of at least ${min}`,
      command,
    );
  }
  return value;
}

export interface PortFlag {
  container: number;
  host?: number;
  hostIp?: string;
  protocol: 'tcp' | 'udp';
}

function portNumber(text: string, whole: string, command: string, allowZero: boolean): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= (allowZero ? 0 : 1) && value <= 65535)) {
    throw new UsageError(
      `-p ${quoted(whole)}: ${quoted(text)} is not a port (1-65535); use -p HOST:CONTAINER, e.g. -p 8080:80`,
      command,
    );
  }
  return value;
}

/** `-p [IP:][HOST:]CONTAINER[/udp]`: `80`, `8080:80`, `127.0.0.1:8080:80/tcp`. */
export function portFlag(text: string, command: string): PortFlag {
  const [address = '', protocol = 'tcp', ...more] = text.split('/');
  if (more.length > 0 || (protocol !== 'tcp' && protocol !== 'udp')) {
    throw new UsageError(
      `-p ${quoted(text)}: the protocol must be tcp or udp, e.g. -p 53:53/udp`,
      command,
    );
  }
  const parts = address.split(':');
  if (parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new UsageError(`-p ${quoted(text)} is not HOST:CONTAINER, e.g. -p 8080:80`, command);
  }
  const container = portNumber(parts.at(-1) as string, text, command, false);
  const port: PortFlag = { container, protocol };
  if (parts.length >= 2 && parts.at(-2) !== '') {
    port.host = portNumber(parts.at(-2) as string, text, command, true);
  }
  if (parts.length === 3) port.hostIp = parts[0] as string;
  return port;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * `--since`: a duration back from now (`90s`, `10m`, `1h30m`), a date or date-time
 * (`2024-05-01`, `2024-05-01T12:00:00Z`), or Unix seconds (`1714564800`), as docker takes.
 */
export function sinceDate(text: string, now: number, command: string): Date {
  const trimmed = text.trim();
  if (/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) {
    let ms = 0;
    for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
      ms += Number(amount) * (DURATION_UNITS[unit as string] ?? 0);
    }
    return new Date(now - ms);
  }
  if (/^\d{9,11}(\.\d+)?$/.test(trimmed)) return new Date(Number(trimmed) * 1000);
  const date = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? new Date(trimmed) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--since ${quoted(text)} is neither a duration (10m, 1h30m), a date (2024-05-01T12:00:00Z) nor Unix seconds`,
      command,
    );
  }
  return date;
}

/** One of `allowed`, or a usage error listing them and the nearest. */
export function oneOf<T extends string>(
  text: string,
  allowed: readonly T[],
  flag: string,
  command: string,
): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError(
    `${flag} ${quoted(text)} is not one of: ${allowed.join(', ')}.${didYouMean(text, allowed)}`,
    command,
  );
}
