import { ConfigurationError } from '../errors/index.js';

const MAX_PATH = 4096;

/**
 * A container path as drivers get it: absolute, no NUL, no `..` (a path that climbs is refused,
 * not resolved: what it would reach depends on links the container controls), no empty or `.`
 * segments, no trailing slash except the root itself.
 */
export function parseContainerPath(input: unknown, what = 'path'): string {
  if (typeof input !== 'string') {
    throw new ConfigurationError(`${what} must be an absolute path string, got ${typeof input}`);
  }
  if (input.length === 0 || input.length > MAX_PATH) {
    throw new ConfigurationError(`${what} must be 1–${MAX_PATH} characters, got ${input.length}`);
  }
  if (input.includes('\0')) throw new ConfigurationError(`${what} must not contain NUL bytes`);
  if (!input.startsWith('/')) {
    throw new ConfigurationError(
      `${what} must be absolute (start with '/'), got ${JSON.stringify(input)}`,
    );
  }
  if (input === '/') return input;
  const segments = input.replace(/\/+$/, '').split('/').slice(1);
  for (const segment of segments) {
    if (segment === '..') {
      throw new ConfigurationError(`${what} must not contain '..', got ${JSON.stringify(input)}`);
    }
    if (segment === '' || segment === '.') {
      throw new ConfigurationError(
        `${what} must not contain empty or '.' segments, got ${JSON.stringify(input)}`,
      );
    }
  }
  return `/${segments.join('/')}`;
}

/** `uid:gid`, both numbers, as file owners are given. */
export function parseOwner(
  input: unknown,
  what = 'owner',
): { uid: number; gid: number } | undefined {
  if (input === undefined) return undefined;
  const match = typeof input === 'string' ? /^(\d{1,10}):(\d{1,10})$/.exec(input) : null;
  if (!match) {
    throw new ConfigurationError(
      `${what} must be 'uid:gid' with numbers, e.g. '1000:1000', got ${JSON.stringify(input)}`,
    );
  }
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

export function parseMode(input: unknown, fallback: number, what = 'mode'): number {
  if (input === undefined) return fallback;
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 0 || input > 0o7777) {
    throw new ConfigurationError(
      `${what} must be permission bits 0–0o7777, e.g. 0o644, got ${String(input)}`,
    );
  }
  return input;
}

export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
