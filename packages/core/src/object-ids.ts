import { ConfigurationError } from './errors/index.js';

/**
 * What an id or name of a container, volume or network may look like: an engine id (hex) or a
 * name as the engines allow them. Anything else never reaches an engine: it could name a path
 * the engine's API resolves elsewhere (`../`, `//host:port/...`), which an HTTP client may then
 * follow to another host.
 */
export const OBJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Whether `value` can be an id or name of a container, volume or network at all. */
export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID_PATTERN.test(value);
}

/**
 * The id of an object a call is about to change: anything that cannot be one is a
 * ConfigurationError, before any request is made.
 */
export function requireObjectId(
  value: unknown,
  what: 'container' | 'volume' | 'network' | 'process',
): string {
  if (isObjectId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
  throw new ConfigurationError(
    `${shown} is not a ${what} id or name: ids and names are 1–128 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    [{ path: ['id'], message: `not a ${what} id or name`, stage: 'schema' }],
  );
}
