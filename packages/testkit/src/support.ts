import type { ContainerConfigInput, ContainerDriver } from '@berth/core';
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

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Removes, best effort, everything of the run's session; for after-hooks. */
export async function removeSession(ctx: SuiteContext): Promise<void> {
  const containers = await ctx.driver.listContainers({ label: ctx.runLabel }).catch(() => []);
  await Promise.all(
    containers.map((c) => ctx.driver.removeContainer(c.id, { force: true }).catch(() => undefined)),
  );
}
