import type { ContainerConfigInput, ContainerDriver } from '@berth/core';
import { shown } from './assertions.js';
import type { ConformanceOptions } from './options.js';

/** What every group needs: the driver, the run's session and helpers to make configs and scripts. */
export interface SuiteContext {
  driver: ContainerDriver;
  sessionId: string;
  /** Label on everything the suite creates, so cleanup can be checked. */
  runLabel: Record<string, string>;
  options: ConformanceOptions;
  config(overrides?: Partial<ContainerConfigInput>): ContainerConfigInput;
  /** argv running `script` through the driver's shell. */
  sh(script: string): string[];
  /** A command that runs until stopped. */
  longRunning(): string[];
}

export function makeContext(
  driver: ContainerDriver,
  options: ConformanceOptions,
  runId: string,
): SuiteContext {
  const shell = options.shell ?? ['sh', '-c'];
  const sessionId = `conformance-${runId}`;
  const runLabel = { 'conformance.run': runId };
  const sh = (script: string) => [...shell, script];
  return {
    driver,
    sessionId,
    runLabel,
    options,
    sh,
    longRunning: () => sh('sleep 600'),
    config: (overrides = {}) => ({
      ...options.baseConfig,
      sessionId,
      image: options.image,
      ...overrides,
      labels: { ...options.baseConfig?.labels, ...overrides.labels, ...runLabel },
    }),
  };
}

export interface PollOptions {
  /** How long to keep looking; 15 s by default. */
  timeoutMs?: number;
  /** How long to wait between looks; 100 ms by default. */
  everyMs?: number;
}

/**
 * Looks with `look` every `everyMs` until `done` holds for what it saw or `timeoutMs` passes;
 * says which, and what it saw last. For checks that report a finding instead of failing.
 */
export async function poll<T>(
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  { timeoutMs = 15_000, everyMs = 100 }: PollOptions = {},
): Promise<{ ok: boolean; last: T }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await look();
    if (done(last)) return { ok: true, last };
    if (Date.now() > deadline) return { ok: false, last };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Waits like `poll` and returns what was seen once `done` holds. Past the deadline it fails with
 * what it waited for and what it saw last, so a driver that never gets there learns what it did
 * instead (not `expected false to be true`).
 */
export async function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  const { ok, last } = await poll(look, done, options);
  if (!ok) {
    // A long text (logs, mostly) has its news at the end.
    const seen =
      typeof last === 'string' && last.length > 300
        ? `…${JSON.stringify(last.slice(-300))}`
        : shown(last);
    throw new Error(
      `${what}: not within ${(options.timeoutMs ?? 15_000) / 1000} s; last seen ${seen}`,
    );
  }
  return last;
}

/** Removes, best effort, everything of the run's session; for after-hooks. */
export async function removeSession(ctx: SuiteContext): Promise<void> {
  const containers = await ctx.driver.listContainers({ label: ctx.runLabel }).catch(() => []);
  await Promise.all(
    containers.map((c) => ctx.driver.removeContainer(c.id, { force: true }).catch(() => undefined)),
  );
}
