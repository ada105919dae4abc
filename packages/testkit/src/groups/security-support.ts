import { randomBytes } from 'node:crypto';
import type { ContainerConfigInput } from '@berth/core';
import { expect } from 'vitest';
import { shown } from '../assertions.js';
import { poll, type SuiteContext } from '../support.js';

/*
 * Helpers of the security group. Its probes are shell scripts an attacker could run: they print
 * whatever they manage to read under a `== <where>` header and end with DONE. The test, not the
 * probe, looks for the secret, so no probe ever carries the secret in its own argv or env (where
 * it would find itself).
 */

/** The last line of every probe: output without it means the probe died or never ran. */
export const DONE = 'berth-probe-done';

/**
 * Shell function `show FILE`: prints `== FILE` and FILE's first line if it can be read. `read` is
 * a builtin, so probing hundreds of paths forks nothing.
 */
export const SHOW = `show() { if { read -r line < "$1"; } 2>/dev/null; then echo "== $1"; echo "$line"; fi; }`;

/** A value found nowhere unless something leaked it. */
export function newSecret(): string {
  return `berth-secret-${randomBytes(12).toString('hex')}`;
}

export function shortId(): string {
  return randomBytes(3).toString('hex');
}

/** The suite's config for one of the group's containers, run as `security.user` if given. */
export function probeConfig(
  ctx: SuiteContext,
  overrides: Partial<ContainerConfigInput> = {},
): ContainerConfigInput {
  const user = ctx.options.security?.user;
  return ctx.config({
    ...overrides,
    security: {
      ...ctx.options.baseConfig?.security,
      ...(user ? { user } : {}),
      ...overrides.security,
    },
  });
}

/** argv running `script` with `args` as its $1, $2, ... */
export function script(ctx: SuiteContext, body: string, ...args: string[]): string[] {
  return [...ctx.sh(body), 'berth-probe', ...args];
}

/** Where `secret` shows in a probe's output: the `== <where>` header above each line holding it. */
export function leaks(output: string, secret: string): string[] {
  const found = new Set<string>();
  let where = '(before any header)';
  for (const line of output.split('\n')) {
    if (line.startsWith('== ')) where = line.slice(3);
    else if (line.includes(secret)) found.add(where);
  }
  return [...found];
}

export function expectFinished(output: string, probe: string, stderr = ''): void {
  expect(
    output,
    `${probe} did not run to its end, so it proves nothing; stderr: ${stderr}`,
  ).toContain(DONE);
}

export async function stdoutOf(ctx: SuiteContext, id: string): Promise<string> {
  return ctx.driver.getContainerLogs(id, { stderr: false });
}

export async function untilLogged(ctx: SuiteContext, id: string, line: string): Promise<void> {
  const logged = await poll(
    () => stdoutOf(ctx, id),
    (stdout) => stdout.includes(`${line}\n`),
  );
  if (!logged.ok) {
    const c = await ctx.driver.getContainer(id);
    throw new Error(
      `container ${id} did not print '${line}' within 15 s (status ${c?.status}, exit code ${c?.exitCode}); stdout: ${shown(logged.last)}; stderr: ${await ctx.driver.getContainerLogs(id, { stdout: false })}`,
    );
  }
}

/** Creates, runs to its end and removes a container; its output. */
export async function runToEnd(
  ctx: SuiteContext,
  config: ContainerConfigInput,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { id } = await ctx.driver.createContainer(config);
  try {
    await ctx.driver.startContainer(id);
    const { exitCode } = await ctx.driver.waitContainer(id);
    const stdout = await stdoutOf(ctx, id);
    const stderr = await ctx.driver.getContainerLogs(id, { stdout: false });
    return { exitCode, stdout, stderr };
  } finally {
    await ctx.driver.removeContainer(id, { force: true });
  }
}

export async function removeAll(ctx: SuiteContext, ids: string[]): Promise<void> {
  for (const id of ids) await ctx.driver.removeContainer(id, { force: true }).catch(() => {});
}

/** A rejection a driver gives for a config it refuses: what the contract asks, not a crash. */
export function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'CONFIGURATION_ERROR' || code === 'UNSUPPORTED_FEATURE';
}

export function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return `${String(code ?? 'no code')}: ${error instanceof Error ? error.message : String(error)}`;
}
