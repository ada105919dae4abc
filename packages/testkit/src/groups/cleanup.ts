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

    test('cleanup(filter) removes one session’s containers, volumes and networks, and only those', async (ctx) => {
      const caps = await ctx.driver.capabilities();
      const mine = `${ctx.sessionId}-clean`;
      const other = `${ctx.sessionId}-keep`;
      const running = await ctx.driver.createContainer(
        ctx.config({ sessionId: mine, command: ctx.longRunning() }),
      );
      await ctx.driver.startContainer(running.id);
      await ctx.driver.createContainer(ctx.config({ sessionId: mine, command: ctx.sh('true') }));
      const kept = await ctx.driver.createContainer(
        ctx.config({ sessionId: other, command: ctx.sh('true') }),
      );
      if (caps.volumes) await ctx.driver.createVolume({ name: `${mine}-v`, sessionId: mine });
      if (caps.networks) {
        await ctx.driver.createNetwork({
          name: `${mine}-n`,
          sessionId: mine,
          internal: caps.networks === 'isolated',
        });
      }
      try {
        expect(await ctx.driver.cleanup({ sessionId: mine })).toEqual({
          containers: 2,
          volumes: caps.volumes ? 1 : 0,
          networks: caps.networks ? 1 : 0,
        });
        expect(await ctx.driver.listContainers({ sessionId: mine })).toEqual([]);
        expect((await ctx.driver.listVolumes()).filter((v) => v.sessionId === mine)).toEqual([]);
        expect((await ctx.driver.listNetworks()).filter((n) => n.sessionId === mine)).toEqual([]);
        expect(await ctx.driver.getContainer(kept.id)).not.toBeNull();
        // Idempotent: nothing left, nothing removed, no error.
        expect(await ctx.driver.cleanup({ sessionId: mine })).toEqual({
          containers: 0,
          volumes: 0,
          networks: 0,
        });
      } finally {
        await ctx.driver.cleanup({ sessionId: other });
      }
    });

    test('cleanup refuses an empty or unknown filter rather than removing everything', async (ctx) => {
      for (const filter of [{}, { session: 'x' }, { all: false }, null]) {
        await expect(ctx.driver.cleanup(filter as never)).rejects.toMatchObject({
          code: 'CONFIGURATION_ERROR',
        });
      }
    });
  },
};
