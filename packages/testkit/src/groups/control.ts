import {
  ConfigurationError,
  ConflictError,
  type ContainerDriver,
  UnsupportedFeatureError,
} from '@berth/core';
import { expect } from 'vitest';
import { shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import { eventually } from '../support.js';

const needsSignals = (caps: { signals: boolean }) =>
  caps.signals ? undefined : 'the driver reports signals: false';
const needsPause = (caps: { pause: boolean }) =>
  caps.pause ? undefined : 'the driver reports pause: false';

async function lines(driver: ContainerDriver, id: string): Promise<string[]> {
  return (await driver.getContainerLogs(id)).split('\n').filter((l) => l !== '');
}

async function statusOf(driver: ContainerDriver, id: string): Promise<string | undefined> {
  return (await driver.getContainer(id))?.status;
}

// A script that prints a numbered line every 200 ms for about a minute, using only commands
// every driver's shell has (the mocks interpret a subset of sh).
const TICKS = Array.from({ length: 300 }, (_, i) => `echo tick-${i}; sleep 0.2`).join('; ');

export const controlGroup: GroupDefinition = {
  name: 'control',
  define(test) {
    test('a driver without pause or signals says so and refuses them with UnsupportedFeatureError', async (ctx) => {
      const caps = await ctx.driver.capabilities();
      expect(typeof caps.pause, 'capabilities().pause is a boolean').toBe('boolean');
      expect(typeof caps.signals, 'capabilities().signals is a boolean').toBe('boolean');
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      try {
        await ctx.driver.startContainer(id);
        const calls = [
          ['pause', caps.pause, () => ctx.driver.pauseContainer(id)],
          ['pause', caps.pause, () => ctx.driver.resumeContainer(id)],
          ['signals', caps.signals, () => ctx.driver.signalContainer(id, 'SIGWINCH')],
        ] as const;
        for (const [feature, supported, call] of calls) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          if (supported) {
            expect(
              error,
              `${feature} is supported, so the call succeeds: ${shown(error)}`,
            ).toBeUndefined();
          } else {
            expect(
              error,
              `${feature}: false, so the call is refused: ${shown(error)}`,
            ).toBeInstanceOf(UnsupportedFeatureError);
          }
        }
        await ctx.driver.resumeContainer(id).catch(() => undefined);
        expect(await statusOf(ctx.driver, id), 'it is still running afterwards').toBe('running');
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test(
      'a signal reaches the main process: a trapped one runs its handler, SIGTERM ends it',
      async (ctx) => {
        // A trapped signal interrupts `wait` (not a foreground command): the handler runs at once.
        const script = `trap 'echo got-HUP' HUP; echo ready; ${'sleep 600 & wait; '.repeat(5)}`;
        const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.sh(script) }));
        try {
          await ctx.driver.startContainer(id);
          await eventually(
            "the script prints 'ready' (its log lines)",
            () => lines(ctx.driver, id),
            (seen) => seen.includes('ready'),
          );
          await ctx.driver.signalContainer(id, 'SIGHUP');
          await eventually(
            "signalContainer(id, 'SIGHUP') runs the script's trap, which prints 'got-HUP' (its log lines)",
            () => lines(ctx.driver, id),
            (seen) => seen.includes('got-HUP'),
          );
          expect(await statusOf(ctx.driver, id), 'a trapped signal leaves it running').toBe(
            'running',
          );
          await ctx.driver.signalContainer(id, 'SIGTERM');
          const exit = await ctx.driver.waitContainer(id);
          expect(exit.exitCode, `SIGTERM ends it with 143 (128 + 15): ${shown(exit)}`).toBe(143);
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      needsSignals,
    );

    test(
      'signalContainer refuses unknown signals, SIGSTOP, and containers that are not running',
      async (ctx) => {
        const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
        try {
          const notRunning = await ctx.driver.signalContainer(id, 'SIGHUP').catch((e) => e);
          expect(
            notRunning,
            `signalContainer on a created, not started container is a ConflictError: got ${shown(notRunning)}`,
          ).toBeInstanceOf(ConflictError);
          await ctx.driver.startContainer(id);
          for (const bad of ['SIGBOGUS', 'SIGSTOP', 9, '', undefined]) {
            const error = await ctx.driver.signalContainer(id, bad as never).catch((e) => e);
            expect(
              error,
              `signalContainer(id, ${shown(bad)}) is a ConfigurationError: got ${shown(error)}`,
            ).toBeInstanceOf(ConfigurationError);
          }
          const stop = await ctx.driver.signalContainer(id, 'SIGSTOP' as never).catch((e) => e);
          expect(String(stop?.message), 'SIGSTOP is refused with a pointer to pause').toMatch(
            /pauseContainer/,
          );
          expect(await statusOf(ctx.driver, id), 'refused signals changed nothing').toBe('running');
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      needsSignals,
    );

    test(
      'pause freezes a container (status paused, no output, no exec) until resume',
      async (ctx) => {
        const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.sh(TICKS) }));
        try {
          await ctx.driver.startContainer(id);
          await eventually(
            'the ticking script prints two lines (its log lines)',
            () => lines(ctx.driver, id),
            (seen) => seen.length >= 2,
          );
          await ctx.driver.pauseContainer(id);
          await ctx.driver.pauseContainer(id); // a paused container stays paused
          expect(await statusOf(ctx.driver, id), 'getContainer says paused').toBe('paused');
          const listed = await ctx.driver.listContainers({ status: 'paused', label: ctx.runLabel });
          expect(
            listed.map((c) => c.id),
            'listContainers({ status: paused }) has it',
          ).toContain(id);
          const frozen = (await lines(ctx.driver, id)).length;
          await new Promise((resolve) => setTimeout(resolve, 1200));
          const after = (await lines(ctx.driver, id)).length;
          expect(after, `no line while paused for 1.2 s (${frozen} before, ${after} after)`).toBe(
            frozen,
          );
          const exec = await ctx.driver.exec(id, ['true']).catch((e) => e);
          expect(
            exec,
            `exec on a paused container is a ConflictError: ${shown(exec)}`,
          ).toBeInstanceOf(ConflictError);
          expect(String(exec?.message), 'the error says to resume first').toMatch(/resume/i);
          await ctx.driver.resumeContainer(id);
          await ctx.driver.resumeContainer(id); // a running container stays running
          expect(await statusOf(ctx.driver, id), 'running again after resume').toBe('running');
          await eventually(
            `it prints again after resume, past the ${frozen} lines it had when paused (its log lines)`,
            () => lines(ctx.driver, id),
            (seen) => seen.length > frozen,
          );
          expect((await ctx.driver.exec(id, ['true'])).exitCode, 'exec works again').toBe(0);
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      needsPause,
    );

    test(
      'a paused container can be stopped and removed; pause needs a running one',
      async (ctx) => {
        const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
        const other = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
        try {
          const early = await ctx.driver.pauseContainer(id).catch((e) => e);
          expect(
            early,
            `pause of a created container is a ConflictError: ${shown(early)}`,
          ).toBeInstanceOf(ConflictError);
          await ctx.driver.startContainer(id);
          await ctx.driver.pauseContainer(id);
          await ctx.driver.stopContainer(id, { timeout: 2 });
          const stopped = await statusOf(ctx.driver, id);
          expect(['exited', 'stopped'], `a paused container stops: status ${stopped}`).toContain(
            stopped,
          );
          const resume = await ctx.driver.resumeContainer(id).catch((e) => e);
          expect(
            resume,
            `resume of a stopped container is a ConflictError: ${shown(resume)}`,
          ).toBeInstanceOf(ConflictError);
          await ctx.driver.startContainer(other.id);
          await ctx.driver.pauseContainer(other.id);
          await ctx.driver.removeContainer(other.id, { force: true });
          expect(
            await ctx.driver.getContainer(other.id),
            'a paused container is force-removed',
          ).toBeNull();
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
          await ctx.driver.removeContainer(other.id, { force: true }).catch(() => undefined);
        }
      },
      needsPause,
    );
  },
};
