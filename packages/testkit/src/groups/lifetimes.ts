import {
  ConfigurationError,
  type ContainerDriver,
  ContainerExpiredError,
  ContainerNotFoundError,
} from '@berth/core';
import { expect } from 'vitest';
import { shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import type { SuiteContext } from '../support.js';
import { eventually } from '../support.js';

const needsLifetimes = (caps: { lifetimes: boolean }) =>
  caps.lifetimes ? undefined : 'the driver reports lifetimes: false';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function statusOf(driver: ContainerDriver, id: string): Promise<string | undefined> {
  return (await driver.getContainer(id))?.status;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Waits until the container is no longer running; returns when that was first seen. */
async function stoppedAt(ctx: SuiteContext, id: string, timeoutMs: number): Promise<number> {
  await eventually(
    `${id} is stopped by the driver (its status)`,
    () => statusOf(ctx.driver, id),
    (status) => status !== 'running' && status !== 'paused',
    { timeoutMs, everyMs: 50 },
  );
  return Date.now();
}

export const lifetimesGroup: GroupDefinition = {
  name: 'lifetimes',
  needs: needsLifetimes,
  define(test) {
    test('a container is stopped when its time to live ends; extendTtl moves the end and lets an expired one start again', async (ctx) => {
      const before = Date.now();
      const made = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), lifetime: { ttlMs: 1500 } }),
      );
      const after = Date.now();
      const { id } = made;
      try {
        const first = made.lifetime?.expiresAt?.getTime() ?? Number.NaN;
        expect(first, 'expiresAt is 1500 ms after the create').toBeGreaterThanOrEqual(
          before + 1500,
        );
        expect(first).toBeLessThanOrEqual(after + 1500);
        expect(made.lifetime).toMatchObject({ idleTimeoutMs: null, onExpiry: 'stop' });
        await ctx.driver.startContainer(id);

        const extended = await ctx.driver.extendTtl(id, 1500);
        expect(extended.getTime(), 'extendTtl adds to the current end').toBe(first + 1500);
        const listed = (await ctx.driver.listContainers({ label: ctx.runLabel })).find(
          (c) => c.id === id,
        );
        expect(listed?.lifetime?.expiresAt?.getTime(), 'listContainers shows the new end').toBe(
          first + 1500,
        );

        // Past the first end, short of the second: still running.
        await sleep(first + 700 - Date.now());
        expect(await statusOf(ctx.driver, id), 'running after the first end').toBe('running');

        const stopped = await stoppedAt(ctx, id, 15_000);
        expect(stopped, 'not stopped before its extended end').toBeGreaterThanOrEqual(
          extended.getTime() - 100,
        );
        expect(stopped - extended.getTime(), 'stopped within 5 s of its end').toBeLessThan(5000);

        const refused = await rejection(ctx.driver.startContainer(id));
        expect(refused, `starting it again is refused: ${shown(refused)}`).toBeInstanceOf(
          ContainerExpiredError,
        );
        expect(await statusOf(ctx.driver, id), 'and it stays stopped').not.toBe('running');

        const revived = await ctx.driver.extendTtl(id, 60_000);
        expect(revived.getTime(), 'an ended one gets its time from now').toBeGreaterThanOrEqual(
          Date.now() + 59_000,
        );
        await ctx.driver.startContainer(id);
        expect(await statusOf(ctx.driver, id), 'after the extension it starts').toBe('running');
      } finally {
        await ctx.driver.removeContainer(id, { force: true }).catch(() => undefined);
      }
    });

    test('onExpiry remove: the container is removed when its time to live ends, started or not', async (ctx) => {
      const config = { lifetime: { ttlMs: 1500, onExpiry: 'remove' as const } };
      const running = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), ...config }),
      );
      const created = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), ...config }),
      );
      try {
        await ctx.driver.startContainer(running.id);
        for (const made of [running, created]) {
          const end = made.lifetime?.expiresAt?.getTime() ?? 0;
          await eventually(
            `${made.id} is gone within 5 s of its end (getContainer)`,
            () => ctx.driver.getContainer(made.id),
            (seen) => seen === null,
            { timeoutMs: end + 5000 - Date.now(), everyMs: 50 },
          );
        }
        const left = await ctx.driver.listContainers({ label: ctx.runLabel });
        expect(left.map((c) => c.id)).not.toContain(running.id);
      } finally {
        for (const { id } of [running, created]) {
          await ctx.driver.removeContainer(id, { force: true }).catch(() => undefined);
        }
      }
    });

    test('an idle timeout stops a container nobody uses; exec and running processes are use', async (ctx) => {
      const caps = await ctx.driver.capabilities();
      const { id } = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), lifetime: { idleTimeoutMs: 1500 } }),
      );
      try {
        await ctx.driver.startContainer(id);
        const busyUntil = Date.now() + 2400;
        while (Date.now() < busyUntil) {
          await ctx.driver.exec(id, ['true']);
          await sleep(300);
        }
        expect(await statusOf(ctx.driver, id), 'execs every 300 ms keep it running').toBe(
          'running',
        );
        if (caps.processes) {
          const proc = await ctx.driver.spawn(id, ctx.sh('sleep 2.5'));
          await sleep(2200);
          expect(await statusOf(ctx.driver, id), 'a process running is use').toBe('running');
          await proc.wait();
        }
        const idleFrom = Date.now();
        const stopped = await stoppedAt(ctx, id, 15_000);
        expect(stopped - idleFrom, 'stopped about 1.5 s after the last use').toBeGreaterThan(1000);
        expect(stopped - idleFrom, 'and not much later').toBeLessThan(6500);
        const info = await ctx.driver.getContainer(id);
        expect(info?.lifetime).toMatchObject({ idleTimeoutMs: 1500, expiresAt: null });
        await ctx.driver.startContainer(id);
        expect(await statusOf(ctx.driver, id), 'an idle stop is no expiry: it starts').toBe(
          'running',
        );
      } finally {
        await ctx.driver.removeContainer(id, { force: true }).catch(() => undefined);
      }
    });

    test('bad lifetimes and extensions are ConfigurationErrors, an unknown id is not found', async (ctx) => {
      const count = async () => (await ctx.driver.listContainers({ label: ctx.runLabel })).length;
      const before = await count();
      for (const lifetime of [{ ttlMs: 10 }, { idleTimeoutMs: 'soon' }, {}, { ttlMs: 2e12 }]) {
        const error = await rejection(
          ctx.driver.createContainer(ctx.config({ lifetime: lifetime as never })),
        );
        expect(error, `lifetime ${shown(lifetime)} is refused: ${shown(error)}`).toBeInstanceOf(
          ConfigurationError,
        );
      }
      expect(await count(), 'nothing made').toBe(before);
      const plain = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      const timed = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), lifetime: { ttlMs: 600_000 } }),
      );
      try {
        expect(plain.lifetime, 'no lifetime without one asked for').toBeUndefined();
        const none = await rejection(ctx.driver.extendTtl(plain.id, 1000));
        expect(none, `no time to live to extend: ${shown(none)}`).toBeInstanceOf(
          ConfigurationError,
        );
        for (const ms of [0, -5, 1.5, Number.NaN, '1000', 1e13]) {
          const error = await rejection(ctx.driver.extendTtl(timed.id, ms as number));
          expect(error, `extendTtl(id, ${shown(ms)}) is refused: ${shown(error)}`).toBeInstanceOf(
            ConfigurationError,
          );
        }
        const unknown = await rejection(ctx.driver.extendTtl('no-such-container-lifetime', 1000));
        expect(unknown, shown(unknown)).toBeInstanceOf(ContainerNotFoundError);
        const still = await ctx.driver.getContainer(timed.id);
        expect(still?.lifetime?.expiresAt?.getTime(), 'the refused ones changed nothing').toBe(
          timed.lifetime?.expiresAt?.getTime(),
        );
      } finally {
        await ctx.driver.removeContainer(plain.id, { force: true });
        await ctx.driver.removeContainer(timed.id, { force: true });
      }
    });
  },
};
