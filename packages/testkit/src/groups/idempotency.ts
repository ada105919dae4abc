import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const idempotencyGroup: GroupDefinition = {
  name: 'idempotency',
  define(test) {
    test('starting a running and stopping a stopped container are no-ops', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      try {
        await ctx.driver.startContainer(id);
        const first = await ctx.driver.getContainer(id);
        await ctx.driver.startContainer(id);
        const second = await ctx.driver.getContainer(id);
        expect(second?.status).toBe('running');
        expect(second?.startedAt?.getTime()).toBe(first?.startedAt?.getTime());

        await ctx.driver.stopContainer(id, { timeout: 2 });
        const stopped = await ctx.driver.getContainer(id);
        await ctx.driver.stopContainer(id, { timeout: 2 });
        const again = await ctx.driver.getContainer(id);
        expect(again?.status).toBe(stopped?.status);
        expect(again?.finishedAt?.getTime()).toBe(stopped?.finishedAt?.getTime());
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });
  },
};
