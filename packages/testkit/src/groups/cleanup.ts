import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';
import { removeSession } from '../support.js';

export const cleanupGroup: GroupDefinition = {
  name: 'cleanup',
  define(test) {
    test('nothing is left carrying the test session’s label', async (ctx) => {
      const leftover = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(leftover.id);
      await removeSession(ctx);
      expect(await ctx.driver.listContainers({ label: ctx.runLabel })).toEqual([]);
      expect(await ctx.driver.listContainers({ sessionId: ctx.sessionId })).toEqual([]);
      expect(await ctx.driver.getContainer(leftover.id)).toBeNull();
    });
  },
};
