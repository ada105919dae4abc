import type { Output } from '../output/output.js';
import { oneLine } from '../output/sanitize.js';
import { ExitWith, Interrupted, UsageError } from './cli-errors.js';
import { codeOf, exitCodeFor } from './exit-codes.js';

function nameOf(error: unknown): string {
  if (error instanceof Error && typeof error.name === 'string' && error.name !== '') {
    return error.name;
  }
  return 'Error';
}

function messageOf(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || String(error);
    return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}

/** What `berth: …` says about a failure: its class, its message (which says what to do), its code. */
export function describeError(error: unknown): { name: string; message: string; code?: string } {
  const shown = error instanceof ExitWith ? error.cause : error;
  let message = oneLine(messageOf(shown));
  if (shown instanceof UsageError) {
    if (!/[.?!]$/.test(message)) message += '.';
    message += ` See 'berth ${shown.command ? `${shown.command} ` : ''}--help'.`;
  }
  const code = codeOf(shown);
  return { name: nameOf(shown), message, ...(code ? { code } : {}) };
}

/** The stack and the chain of causes, for `--debug`. */
function stackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error instanceof ExitWith ? error.cause : error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const stack = current instanceof Error ? current.stack : undefined;
    parts.push(`${depth === 0 ? '' : 'caused by: '}${stack ?? String(current)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/**
 * What the CLI can add to a driver's message, knowing the command line around it: where to
 * look next. The driver's own message comes first and is never replaced.
 */
export function hintFor(error: unknown, driver: string | undefined): string | undefined {
  const code = codeOf(error instanceof ExitWith ? error.cause : error);
  if (code === 'CONTAINER_NOT_FOUND') {
    const whose = driver ? `the ${driver} driver's containers` : 'the containers';
    return `'berth ps --all' lists ${whose} (another driver: --driver NAME)`;
  }
  if (code === 'NETWORK_ERROR') return "'berth doctor' says what is wrong and how to fix it";
  return undefined;
}

/**
 * Prints a failure as one line on stderr — `berth: ContainerNotFoundError: Container not
 * found: web (code CONTAINER_NOT_FOUND)` — or as one JSON line in JSON mode, the stack only
 * with `--debug`, and returns the exit code it means.
 */
export function reportError(error: unknown, out: Output, debug: boolean, hint?: string): number {
  const exitCode = exitCodeFor(error);
  // Ctrl-C is the user's own doing: the exit code says it, a message would only repeat it.
  if (error instanceof Interrupted && !debug) return exitCode;
  const described = describeError(error);
  const { name, code } = described;
  const message = hint
    ? `${described.message.replace(/\.?$/, '.')} Hint: ${hint}.`
    : described.message;
  if (out.json) {
    const stack = debug ? { stack: stackOf(error) } : {};
    out.note(
      JSON.stringify({ error: { name, message, ...(code ? { code } : {}), exitCode, ...stack } }),
    );
    return exitCode;
  }
  const style = out.errStyle;
  out.note(
    `${style.bad('berth:')} ${style.bold(`${name}:`)} ${message}${code ? style.dim(` (code ${code})`) : ''}`,
  );
  if (debug) out.note(style.dim(stackOf(error)));
  return exitCode;
}
