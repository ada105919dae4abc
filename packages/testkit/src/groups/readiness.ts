import { ContainerNotReadyError, waitFor, waitUntilReady } from '@berth/core';
import { expect } from 'vitest';
import { shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import type { SuiteContext } from '../support.js';

/** Runs `script` in a started container, hands it to `body`, and removes it afterwards. */
async function withStarted(
  ctx: SuiteContext,
  script: string,
  body: (id: string) => Promise<void>,
  extra: Parameters<SuiteContext['config']>[0] = {},
): Promise<void> {
  const { id } = await ctx.driver.createContainer(
    ctx.config({ command: ctx.sh(script), ...extra }),
  );
  try {
    await ctx.driver.startContainer(id);
    await body(id);
  } finally {
    await ctx.driver.removeContainer(id, { force: true });
  }
}

async function notReady(wait: Promise<unknown>): Promise<ContainerNotReadyError> {
  const error = await wait.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `the wait fails with ContainerNotReadyError: got ${shown(error)}`).toBeInstanceOf(
    ContainerNotReadyError,
  );
  return error as ContainerNotReadyError;
}

export const readinessGroup: GroupDefinition = {
  name: 'readiness',
  define(test) {
    test('waits for a log line, counted', async (ctx) => {
      const script = 'echo booting; sleep 0.4; echo ready; sleep 0.4; echo ready; sleep 600';
      await withStarted(ctx, script, async (id) => {
        const { waitedMs } = await waitUntilReady(
          ctx.driver,
          id,
          waitFor.logLine(/^ready$/, { times: 2 }),
          { timeoutMs: 20_000 },
        );
        expect(waitedMs, 'the second ready comes after two pauses of 0.4 s').toBeGreaterThan(500);
        const logs = await ctx.driver.getContainerLogs(id);
        expect(
          logs.split('\n').filter((l) => l === 'ready'),
          'both lines were there',
        ).toHaveLength(2);
      });
    });

    test('fails fast, with the last log lines, when the container exits before it is ready', async (ctx) => {
      const script = 'echo starting; echo "fatal: no configuration" >&2; sleep 0.3; exit 2';
      await withStarted(ctx, script, async (id) => {
        const started = Date.now();
        const error = await notReady(
          waitUntilReady(ctx.driver, id, waitFor.logLine('listening'), { timeoutMs: 25_000 }),
        );
        expect(Date.now() - started, 'long before the 25 s timeout').toBeLessThan(15_000);
        expect(error.reason, shown(error.message)).toBe('exited');
        expect(error.exitCode, shown(error.message)).toBe(2);
        expect(error.lastLogLines, 'the last log lines are in the error').toContain(
          'fatal: no configuration',
        );
        expect(error.message).toContain('fatal: no configuration');
      });
    });

    test('waits for a command to succeed, and times out naming what it last saw', async (ctx) => {
      await withStarted(ctx, 'sleep 600', async (id) => {
        await waitUntilReady(ctx.driver, id, waitFor.command(ctx.sh('exit 3'), { exitCode: 3 }), {
          timeoutMs: 20_000,
        });
        const error = await notReady(
          waitUntilReady(ctx.driver, id, waitFor.command(['false']), {
            timeoutMs: 1500,
            pollMs: 200,
          }),
        );
        expect(error.reason).toBe('timeout');
        expect(error.retryable, 'a timed-out wait may be tried again').toBe(true);
        expect(error.lastSeen.join(' '), 'the last probe result is named').toMatch(/exit 1/);
      });
    });

    test('a one-shot run is ready when it exits 0, and fails with its code otherwise', async (ctx) => {
      await withStarted(ctx, 'echo done; exit 0', async (id) => {
        await waitUntilReady(ctx.driver, id, waitFor.successfulExit(), { timeoutMs: 20_000 });
      });
      await withStarted(ctx, 'echo "bad input" >&2; exit 4', async (id) => {
        const error = await notReady(
          waitUntilReady(ctx.driver, id, waitFor.successfulExit(), { timeoutMs: 20_000 }),
        );
        expect(error.reason).toBe('failed');
        expect(error.exitCode).toBe(4);
        expect(error.lastLogLines).toContain('bad input');
      });
    });

    test(
      'waits for the health check',
      async (ctx) => {
        const healthcheck = { command: ['true'], intervalMs: 200, timeoutMs: 2000, retries: 1 };
        await withStarted(
          ctx,
          'sleep 600',
          async (id) => {
            await waitUntilReady(ctx.driver, id, waitFor.healthy(), { timeoutMs: 25_000 });
            expect(await ctx.driver.isContainerHealthy(id)).toBe(true);
          },
          { healthcheck },
        );
      },
      (caps) => (caps.healthchecks ? undefined : 'the driver reports healthchecks: false'),
    );

    test('combines conditions: all waits for every one, any for the first', async (ctx) => {
      const script = 'echo alpha; sleep 0.3; echo beta; sleep 600';
      await withStarted(ctx, script, async (id) => {
        await waitUntilReady(
          ctx.driver,
          id,
          waitFor.all(waitFor.logLine('alpha'), waitFor.logLine('beta')),
          { timeoutMs: 20_000 },
        );
        await waitUntilReady(
          ctx.driver,
          id,
          waitFor.any(waitFor.logLine('never printed'), waitFor.logLine('beta')),
          { timeoutMs: 20_000 },
        );
        const error = await notReady(
          waitUntilReady(
            ctx.driver,
            id,
            waitFor.all(waitFor.logLine('alpha'), waitFor.logLine('gamma')),
            { timeoutMs: 1500 },
          ),
        );
        expect(error.condition, 'the error names the whole condition').toMatch(/all of/);
      });
    });

    test('an abort ends the wait at once with the abort reason', async (ctx) => {
      await withStarted(ctx, 'sleep 600', async (id) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(new Error('caller gave up')), 300);
        const started = Date.now();
        const error = await waitUntilReady(ctx.driver, id, waitFor.logLine('never'), {
          signal: controller.signal,
        }).catch((e: unknown) => e);
        expect((error as Error).message, shown(error)).toBe('caller gave up');
        expect(Date.now() - started, 'promptly after the abort').toBeLessThan(5000);
      });
    });

    test(
      'waits for a published port and an HTTP endpoint from the host side',
      async (ctx, skip) => {
        const server = ctx.options.httpServer;
        if (!server) return skip('no httpServer given in the conformance options');
        const { script, port } = server;
        const config = { ...server.config, ports: [{ container: port }] };
        await withStarted(
          ctx,
          `sleep 1; ${script}`,
          async (id) => {
            await waitUntilReady(ctx.driver, id, waitFor.port(port), { timeoutMs: 20_000 });
            await waitUntilReady(
              ctx.driver,
              id,
              waitFor.http(port, '/', { body: (text) => text.includes('berth-ready') }),
              { timeoutMs: 20_000 },
            );
            const error = await notReady(
              waitUntilReady(ctx.driver, id, waitFor.http(port, '/missing', { status: 200 }), {
                timeoutMs: 1500,
              }),
            );
            expect(error.lastSeen.join(' '), 'the status it got is named').toMatch(/HTTP 404/);
          },
          config,
        );
      },
      (caps) => (caps.ports ? undefined : 'the driver reports ports: false'),
    );
  },
};
