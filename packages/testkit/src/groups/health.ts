import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';
import { eventually } from '../support.js';

export const healthGroup: GroupDefinition = {
  name: 'health',
  define(test) {
    test('healthCheck reports the driver and its containers', async (ctx) => {
      const health = await ctx.driver.healthCheck();
      expect(['healthy', 'degraded', 'unhealthy']).toContain(health.status);
      expect(health.version).toEqual(expect.any(String));
      expect(health.uptime).toBeGreaterThanOrEqual(0);
      const { total, running, stopped } = health.containers;
      for (const n of [total, running, stopped]) expect(Number.isInteger(n) && n >= 0).toBe(true);
      expect(running).toBeLessThanOrEqual(total);
    });

    test('a running container without a healthcheck is healthy; a stopped one is not', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      try {
        expect(await ctx.driver.isContainerHealthy(id)).toBe(false);
        await ctx.driver.startContainer(id);
        expect(await ctx.driver.isContainerHealthy(id)).toBe(true);
        await ctx.driver.stopContainer(id, { timeout: 2 });
        expect(await ctx.driver.isContainerHealthy(id)).toBe(false);
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test(
      'a passing healthcheck makes it healthy, a failing one unhealthy',
      async (ctx) => {
        const probe = { intervalMs: 200, timeoutMs: 1000, retries: 1, startPeriodMs: 0 };
        const good = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), healthcheck: { command: ['true'], ...probe } }),
        );
        const bad = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), healthcheck: { command: ['false'], ...probe } }),
        );
        try {
          await ctx.driver.startContainer(good.id);
          await ctx.driver.startContainer(bad.id);
          expect(await eventually(() => ctx.driver.isContainerHealthy(good.id))).toBe(true);
          expect(
            await eventually(async () => {
              const healthy = await ctx.driver.isContainerHealthy(bad.id);
              const c = await ctx.driver.getContainer(bad.id);
              return !healthy && c?.health === 'unhealthy';
            }),
          ).toBe(true);
        } finally {
          await ctx.driver.removeContainer(good.id, { force: true });
          await ctx.driver.removeContainer(bad.id, { force: true });
        }
      },
      (caps) => (caps.healthchecks ? undefined : 'the driver reports healthchecks: false'),
    );
  },
};
