import { expect } from 'vitest';

/*
 * A failure of the suite names the rule the test checks and the input that broke it, e.g.
 * `exec returns the command's exit code: exec("c1", ["sh","-c","exit 4"]) gave
 * {"exitCode":0,...}: expected 0 to be 4` rather than a bare `expected 0 to be 4`: the reader of a
 * CI log must know what their driver got wrong without opening the suite.
 */

const LIMIT = 300;

/** A value as a message shows it: JSON where it can be, cut short; never `[object Object]`. */
export function shown(value: unknown): string {
  if (value instanceof Error) return errorText(value);
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    return typeof value === 'function' ? 'a function' : String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v: unknown) =>
        typeof v === 'bigint' ? `${v}n` : v === undefined ? '(undefined)' : v,
      ) ?? String(value);
  } catch {
    // A cycle, a throwing getter, a hostile proxy: the inputs group passes all of them.
    text = `(${Object.prototype.toString.call(value).slice(8, -1)} that cannot be shown)`;
  }
  return text.length > LIMIT ? `${text.slice(0, LIMIT)}…` : text;
}

/** `operation(arg, …)`, each argument shown: the call a failure is about. */
export function callText(operation: string, ...args: unknown[]): string {
  return `${operation}(${args.map(shown).join(', ')})`;
}

/** An error as a message shows it: class, code and message, or the non-Error that was thrown. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return `the non-Error ${shown(error)}`;
  const code = (error as { code?: unknown }).code;
  return `${error.name}${code === undefined ? '' : ` (${String(code)})`}: ${error.message}`;
}

type Settled<T> = { value: T } | { error: unknown };

/** What `run` settled with, the value or the error, without throwing. */
export function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  return run().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** What a settled call did, for a message: `threw …` or `resolved with …`. */
export function settledText(settled: Settled<unknown>): string {
  return 'error' in settled
    ? `threw ${errorText(settled.error)}`
    : `resolved with ${shown(settled.value)}`;
}

/**
 * Asserts that `run` rejects with a Berth error of `code`. A failure reads
 * `<rule>: <call> resolved with …` (or `threw <class> (<code>): <message>`), then what was expected.
 */
export async function expectErrorCode(
  code: string,
  rule: string,
  call: string,
  run: () => Promise<unknown>,
): Promise<unknown> {
  const settled = await settle(run);
  const got = 'error' in settled ? (settled.error as { code?: unknown } | null)?.code : undefined;
  expect(got, `${rule}: ${call} ${settledText(settled)}`).toBe(code);
  return 'error' in settled ? settled.error : undefined;
}

/** Asserts a command's exit code; a failure names the rule, the call and its whole result. */
export function expectExitCode(
  result: { exitCode: number },
  exitCode: number,
  rule: string,
  call: string,
): void {
  expect(result.exitCode, `${rule}: ${call} gave ${shown(result)}`).toBe(exitCode);
}
