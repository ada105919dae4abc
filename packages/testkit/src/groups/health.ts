import { expect } from 'vitest';
import { callText, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import { eventually, type SuiteContext } from '../support.js';

/** What a health wait looks at, all of it shown when the wait gives up. */
async function healthOf(ctx: SuiteContext, id: string) {
  const isContainerHealthy = await ctx.driver.isContainerHealthy(id);
  const c = await ctx.driver.getContainer(id);
  return { isContainerHealthy, status: c?.status, health: c?.health };
}

export const healthGroup: GroupDefinition = {
  name: 'health',
  define(test) {
    test('healthCheck reports the driver and its containers', async (ctx) => {
      const health = await ctx.driver.healthCheck();
      const says = `healthCheck() returned ${shown(health)}`;
      expect(
        ['healthy', 'degraded', 'unhealthy'],
        `status is healthy, degraded or unhealthy: ${says}`,
      ).toContain(health.status);
      expect(health.version, `version is a string: ${says}`).toEqual(expect.any(String));
      expect(health.uptime, `uptime is not negative: ${says}`).toBeGreaterThanOrEqual(0);
      const { total, running, stopped } = health.containers;
      for (const [key, n] of Object.entries({ total, running, stopped })) {
        expect(
          Number.isInteger(n) && n >= 0,
          `containers.${key} is a count (an integer ≥ 0): ${says}`,
        ).toBe(true);
      }
      expect(running, `no more containers run than there are: ${says}`).toBeLessThanOrEqual(total);
    });

    test('a running container without a healthcheck is healthy; a stopped one is not', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      const call = callText('isContainerHealthy', id);
      try {
        expect(
          await ctx.driver.isContainerHealthy(id),
          `a container not yet started is not healthy: ${call} before startContainer`,
        ).toBe(false);
        await ctx.driver.startContainer(id);
        expect(
          await ctx.driver.isContainerHealthy(id),
          `a running container without a healthcheck is healthy: ${call} after startContainer`,
        ).toBe(true);
        await ctx.driver.stopContainer(id, { timeout: 2 });
        expect(
          await ctx.driver.isContainerHealthy(id),
          `a stopped container is not healthy: ${call} after stopContainer`,
        ).toBe(false);
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test(
      'a passing healthcheck makes it healthy, a failing one unhealthy',
      async (ctx) => {
        const probe = { intervalMs: 200, timeoutMs: 1000, retries: 1, startPeriodMs: 0 };
        const passing = { command: ['true'], ...probe };
        const failing = { command: ['false'], ...probe };
        const good = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), healthcheck: passing }),
        );
        const bad = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), healthcheck: failing }),
        );
        try {
          await ctx.driver.startContainer(good.id);
          await ctx.driver.startContainer(bad.id);
          await eventually(
            `a passing healthcheck makes a running container healthy (isContainerHealthy true, health 'healthy'): healthcheck ${shown(passing)}`,
            () => healthOf(ctx, good.id),
            (seen) => seen.isContainerHealthy,
          );
          await eventually(
            `a failing healthcheck makes a container unhealthy (isContainerHealthy false, health 'unhealthy'): healthcheck ${shown(failing)}`,
            () => healthOf(ctx, bad.id),
            (seen) => !seen.isContainerHealthy && seen.health === 'unhealthy',
          );
        } finally {
          await ctx.driver.removeContainer(good.id, { force: true });
          await ctx.driver.removeContainer(bad.id, { force: true });
        }
      },
      (caps) => (caps.healthchecks ? undefined : 'the driver reports healthchecks: false'),
    );
  },
};
