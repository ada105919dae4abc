/*
 * Checks of values parsed from JSON, from which the readers of each record are composed. What
 * is on disk was written by some version of this driver, or by nobody in particular: a record
 * is trusted only as far as it was checked. Imports nothing local, as the records modules that
 * use it are loaded by the supervisor's program and the benchmark straight from source.
 */

/** A JSON object: what a record is before its fields are checked. */
export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

/** A field that may be left out; JSON has no undefined, so present means checked. */
export function isOptional(value: unknown, is: (item: unknown) => boolean): boolean {
  return value === undefined || is(value);
}

export function isArrayOf<T>(value: unknown, is: (item: unknown) => item is T): value is T[] {
  return Array.isArray(value) && value.every(is);
}

/** An object whose every value passes `is` (labels, environments). */
export function isMapOf<T>(
  value: unknown,
  is: (item: unknown) => item is T,
): value is Record<string, T> {
  return isObject(value) && Object.values(value).every(is);
}

export function isStringArray(value: unknown): value is string[] {
  return isArrayOf(value, isString);
}
