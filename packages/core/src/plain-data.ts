import { ConfigurationError, type ValidationIssue } from './errors/index.js';

/*
 * Inputs are plain data: strings, numbers, booleans, null, arrays and plain objects (and Dates,
 * which log options take). A caller's getter that throws, a Proxy whose traps throw, a class
 * instance, a function or a cycle is a ConfigurationError at its path, found before any schema
 * reads the input, rather than escaping as whatever the object throws. What the schemas then
 * check is this copy, so nothing the caller holds can change under the driver afterwards.
 */

const MAX_DEPTH = 16;
/** More entries than any config needs: a sparse `new Array(1e9)` must not be copied out. */
const MAX_ENTRIES = 100_000;

type Path = (string | number)[];

/** Stands in for what could not be copied, so the other checks can still report the rest. */
const OMITTED = undefined;

class Copier {
  readonly issues: ValidationIssue[] = [];
  readonly #seen = new Set<object>();

  #problem(path: Path, detail: string): undefined {
    this.issues.push({ path, message: `not plain data: ${detail}`, stage: 'schema' });
    return OMITTED;
  }

  #read(object: object, key: string | number, path: Path): { ok: boolean; value?: unknown } {
    try {
      return { ok: true, value: (object as Record<string | number, unknown>)[key] };
    } catch (error) {
      this.#problem([...path, key], `reading it threw: ${describe(error)}`);
      return { ok: false };
    }
  }

  copy(value: unknown, path: Path): unknown {
    if (value === null || value === undefined) return value;
    const type = typeof value;
    if (type === 'string' || type === 'number' || type === 'boolean') return value;
    if (type !== 'object') return this.#problem(path, `a ${type}`);
    const object = value as object;
    if (object instanceof Date) return new Date(object.getTime());
    if (this.#seen.has(object)) return this.#problem(path, 'it contains itself');
    if (path.length >= MAX_DEPTH) return this.#problem(path, `nested deeper than ${MAX_DEPTH}`);
    this.#seen.add(object);
    try {
      if (Array.isArray(object)) return this.#array(object, path);
      const prototype: unknown = Object.getPrototypeOf(object);
      if (prototype !== Object.prototype && prototype !== null) {
        const name = (prototype as { constructor?: { name?: string } })?.constructor?.name;
        return this.#problem(path, `an instance of ${name || 'a class'}`);
      }
      let keys: string[];
      try {
        keys = Object.keys(object);
      } catch (error) {
        return this.#problem(path, `listing its keys threw: ${describe(error)}`);
      }
      if (keys.length > MAX_ENTRIES) return this.#problem(path, `more than ${MAX_ENTRIES} keys`);
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const read = this.#read(object, key, path);
        if (read.ok) out[key] = this.copy(read.value, [...path, key]);
      }
      return out;
    } catch (error) {
      // Anything else a hostile object does while being looked at (getPrototypeOf traps, ...).
      return this.#problem(path, `reading it threw: ${describe(error)}`);
    } finally {
      this.#seen.delete(object);
    }
  }

  #array(array: unknown[], path: Path): unknown {
    if (Object.getPrototypeOf(array) !== Array.prototype) {
      return this.#problem(path, 'an array of a subclass');
    }
    const length = this.#read(array, 'length', path);
    if (!length.ok) return OMITTED;
    if ((length.value as number) > MAX_ENTRIES) {
      return this.#problem(path, `more than ${MAX_ENTRIES} entries`);
    }
    return Array.from({ length: length.value as number }, (_, i) => {
      const read = this.#read(array, i, path);
      return read.ok ? this.copy(read.value, [...path, i]) : OMITTED;
    });
  }
}

function describe(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/** A plain-data copy of `input` (what could not be copied left out) and where it was not plain data. */
export function plainDataIssues<T = unknown>(
  input: unknown,
): { value: T; issues: ValidationIssue[] } {
  const copier = new Copier();
  const value = copier.copy(input, []) as T;
  return { value, issues: copier.issues };
}

function refuse(what: string, issues: ValidationIssue[]): never {
  const list = issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
  throw new ConfigurationError(
    `Invalid ${what}: pass strings, numbers, booleans, arrays and plain objects:\n${list}`,
    issues,
  );
}

/** A plain-data copy of `input`, or a ConfigurationError listing where it is not plain data. */
export function plainData<T = unknown>(input: unknown, what: string): T {
  const { value, issues } = plainDataIssues<T>(input);
  if (issues.length > 0) refuse(what, issues);
  return value;
}

/**
 * Call options without their `signal` (an AbortSignal is no data), read the way plainData
 * reads: a getter or trap that throws is a ConfigurationError.
 */
export function withoutSignal(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') {
    refuse(what, [{ path: [], message: `not plain data: a ${typeof options}`, stage: 'schema' }]);
  }
  try {
    const { signal: _signal, ...rest } = options as Record<string, unknown>;
    return rest;
  } catch (error) {
    refuse(what, [
      {
        path: [],
        message: `not plain data: reading it threw: ${describe(error)}`,
        stage: 'schema',
      },
    ]);
  }
}

/**
 * The `signal` of a call's options: an AbortSignal or none. Options that are not an object, or
 * a signal that is not an AbortSignal, is a ConfigurationError (null options mean none).
 */
export function callSignal(options: unknown, what: string): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') {
    refuse(what, [{ path: [], message: `not plain data: a ${typeof options}`, stage: 'schema' }]);
  }
  let signal: unknown;
  try {
    signal = (options as { signal?: unknown }).signal;
  } catch (error) {
    refuse(what, [
      { path: ['signal'], message: `reading it threw: ${describe(error)}`, stage: 'schema' },
    ]);
  }
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  refuse(what, [{ path: ['signal'], message: 'not an AbortSignal', stage: 'schema' }]);
}
