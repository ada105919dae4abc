import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built executable, run exactly as a user would: `node dist/bin.js …`. */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

if (!existsSync(BIN)) {
  throw new Error(`${BIN} is missing: build first (pnpm turbo run build --filter=@berth/cli)`);
}

/** Temp directories made by the tests carry this prefix, so that none is left behind unseen. */
export const TEMP_PREFIX = 'berth-cli-test-';

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /** Flags for node itself, before the script (`--import hooks.mjs`). */
  nodeArgs?: string[];
}

/**
 * Node's compile cache (which the bin turns on) goes into the package's node_modules rather
 * than the system temp directory, so the tests leave nothing in /tmp.
 */
const COMPILE_CACHE = fileURLToPath(
  new URL('../../node_modules/.cache/berth-cli-test', import.meta.url),
);

/**
 * The environment a test's berth gets: the caller's PATH and HOME, but none of this shell's
 * BERTH_* or colour settings, which would make results depend on who runs the tests.
 */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('BERTH_') || ['NO_COLOR', 'FORCE_COLOR', 'NODE_OPTIONS'].includes(key))
      continue;
    env[key] = value;
  }
  env.NODE_COMPILE_CACHE = COMPILE_CACHE;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A running berth: its output so far, and a way to wait for a line or for its end. */
export class Running {
  stdout = '';
  stderr = '';
  readonly started = performance.now();
  /** When each stdout chunk arrived, ms after start: to tell streamed from buffered output. */
  readonly arrivals: { at: number; text: string }[] = [];
  readonly done: Promise<Result>;
  exited = false;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      this.stdout += text;
      this.arrivals.push({ at: performance.now() - this.started, text });
    });
    child.stderr?.on('data', (text: string) => {
      this.stderr += text;
    });
    this.done = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exited = true;
        resolve({
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          ms: performance.now() - this.started,
        });
      });
    });
  }

  /** Resolves once stdout holds `text`; fails the test after `ms`. */
  async waitFor(text: string, ms = 15_000): Promise<void> {
    const until = performance.now() + ms;
    while (!this.stdout.includes(text)) {
      if (performance.now() > until) {
        throw new Error(
          `no ${JSON.stringify(text)} on stdout within ${ms} ms; got ${JSON.stringify(this.stdout)} / stderr ${JSON.stringify(this.stderr)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Starts `berth …` and returns at once. */
export function start(args: readonly string[], options: RunOptions = {}): Running {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    env: baseEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  const running = new Running(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
  void running.done.then(() => clearTimeout(timer));
  return running;
}

/** Runs `berth …` to its end. */
export function berth(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return start(args, options).done;
}

/** The one thing a failing berth prints: exactly one line on stderr. */
export function oneLine(result: Result): string {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) {
    throw new Error(
      `expected one line on stderr, got ${lines.length}: ${JSON.stringify(result.stderr)}`,
    );
  }
  return lines[0] as string;
}

/** ANSI escape sequences (colour and cursor control). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is looked for.
export const ANSI = /\x1b\[/;
