import { expect } from 'vitest';
import { callText, shown } from '../assertions.js';
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
        const restart = `a second ${callText('startContainer', id)} changes nothing: before ${shown(first)}, after ${shown(second)}`;
        expect(second?.status, restart).toBe('running');
        expect(second?.startedAt?.getTime(), `${restart} (startedAt)`).toBe(
          first?.startedAt?.getTime(),
        );

        await ctx.driver.stopContainer(id, { timeout: 2 });
        const stopped = await ctx.driver.getContainer(id);
        await ctx.driver.stopContainer(id, { timeout: 2 });
        const again = await ctx.driver.getContainer(id);
        const restop = `a second ${callText('stopContainer', id, { timeout: 2 })} changes nothing: before ${shown(stopped)}, after ${shown(again)}`;
        expect(again?.status, restop).toBe(stopped?.status);
        expect(again?.finishedAt?.getTime(), `${restop} (finishedAt)`).toBe(
          stopped?.finishedAt?.getTime(),
        );
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });
  },
};
