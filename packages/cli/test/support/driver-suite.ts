import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { berth, type Result, type Running, type RunOptions, start, tempDir } from './berth.js';
import { defineManageTests } from './suite-manage.js';
import { defineRunTests } from './suite-run.js';

export interface SuiteOptions {
  driver: 'local' | 'docker';
  /** The image to run (local: only recorded). */
  image: string;
  /** A `run` that fails before its container runs, and the error class it must report. */
  failingRun: { args: string[]; error: string };
  /** Containers on the driver for a session, seen without going through the CLI. */
  listDirectly?: (session: string) => Promise<number>;
  /** Removes a session's leftovers without the CLI, whatever the tests did. */
  cleanDirectly?: (session: string) => Promise<void>;
}

export interface Instance {
  id: string;
  name: string;
  sessionId: string;
  tenantId?: string;
  status: string;
  exitCode?: number;
  createdAt: string;
  labels: Record<string, string>;
}

export interface SuiteContext {
  options: SuiteOptions;
  driver: SuiteOptions['driver'];
  image: string;
  /** A new session id, cleaned up after the file. */
  session(): string;
  /** `berth --driver <driver> …` on the suite's state directory, to its end. */
  cli(args: string[], more?: RunOptions): Promise<Result>;
  /** The same, returning at once. */
  spawnCli(args: string[], more?: RunOptions): Running;
  /** The result, asserted successful and quiet on stderr. */
  ok(result: Result): Result;
  /** `ps --json` with these flags. */
  list(args: string[]): Promise<Instance[]>;
  /** A detached container of the session running `sh -c script`; its id. */
  detached(sessionId: string, script: string, extra?: string[]): Promise<string>;
}

/**
 * The suite's shared state: a state directory and the sessions made, all removed after the
 * file (through the CLI and, where given, directly).
 */
function suiteContext(options: SuiteOptions): SuiteContext {
  const { driver, image } = options;
  const prefix = `cli-test-${driver}-${randomBytes(3).toString('hex')}`;
  const sessions: string[] = [];
  let state: Awaited<ReturnType<typeof tempDir>>;
  let count = 0;

  const session = () => {
    const id = `${prefix}-${++count}`;
    sessions.push(id);
    return id;
  };
  const cli = (args: string[], more: RunOptions = {}) =>
    berth(['--driver', driver, ...args], {
      ...more,
      env: { BERTH_STATE_DIR: state.path, ...more.env },
    });
  const spawnCli = (args: string[], more: RunOptions = {}) =>
    start(['--driver', driver, ...args], {
      ...more,
      env: { BERTH_STATE_DIR: state.path, ...more.env },
    });
  const ok = (result: Result) => {
    expect(result.stderr, result.stdout).toBe('');
    expect(result.code).toBe(0);
    return result;
  };
  const list = async (args: string[]): Promise<Instance[]> =>
    JSON.parse(ok(await cli(['ps', '--json', ...args])).stdout) as Instance[];
  /** A running container of the session, kept until the session is cleaned up. */
  const detached = async (sessionId: string, script: string, extra: string[] = []) => {
    const result = ok(
      await cli(['run', '-d', '--session', sessionId, ...extra, image, '--', 'sh', '-c', script]),
    );
    return result.stdout.trim();
  };

  beforeAll(async () => {
    state = await tempDir();
  });

  afterAll(async () => {
    for (const id of sessions) {
      await cli(['cleanup', '--session', id]);
      await options.cleanDirectly?.(id);
    }
    if (options.listDirectly) {
      for (const id of sessions) expect(await options.listDirectly(id)).toBe(0);
    }
    await state.remove();
  });

  return { options, driver, image, session, cli, spawnCli, ok, list, detached };
}

/**
 * The end-to-end behaviour every driver must show through `berth`, spawned as a user runs
 * it. Each test makes its own session.
 */
export function defineDriverSuite(
  options: SuiteOptions,
  parts: readonly ('run' | 'manage')[] = ['run', 'manage'],
): void {
  const ctx = suiteContext(options);
  if (parts.includes('run')) defineRunTests(ctx);
  if (parts.includes('manage')) defineManageTests(ctx);
}
