import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const queriesGroup: GroupDefinition = {
  name: 'queries',
  define(test) {
    test('filters by session, status, state and labels', async (ctx) => {
      const otherSession = `${ctx.sessionId}-other`;
      const running = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), labels: { tier: 'web', color: 'blue' } }),
      );
      const idle = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), labels: { tier: 'db' } }),
      );
      const elsewhere = await ctx.driver.createContainer(
        ctx.config({
          sessionId: otherSession,
          command: ctx.longRunning(),
          labels: { tier: 'web' },
        }),
      );
      await ctx.driver.startContainer(running.id);
      const ids = async (filter: Parameters<typeof ctx.driver.listContainers>[0]) =>
        (await ctx.driver.listContainers(filter)).map((c) => c.id).sort();
      try {
        const mine = await ids({ sessionId: ctx.sessionId });
        expect(mine).toEqual(expect.arrayContaining([running.id, idle.id]));
        expect(mine).not.toContain(elsewhere.id);
        expect(await ids({ sessionId: otherSession })).toEqual([elsewhere.id]);

        const runningIds = await ids({ sessionId: ctx.sessionId, status: 'running' });
        expect(runningIds).toContain(running.id);
        expect(runningIds).not.toContain(idle.id);
        expect(await ids({ sessionId: ctx.sessionId, status: ['created'] })).toContain(idle.id);
        const active = await ids({ sessionId: ctx.sessionId, state: 'running' });
        expect(active).toContain(running.id);
        expect(active).not.toContain(idle.id);

        expect(await ids({ label: { ...ctx.runLabel, tier: 'web' } })).toEqual(
          [running.id, elsewhere.id].sort(),
        );
        expect(await ids({ label: { ...ctx.runLabel, color: true } })).toEqual([running.id]);
        expect(await ids({ label: { ...ctx.runLabel, tier: 'none' } })).toEqual([]);
      } finally {
        for (const c of [running, idle, elsewhere]) {
          await ctx.driver.removeContainer(c.id, { force: true });
        }
      }
    });

    test('getContainer of an unknown id is null', async (ctx) => {
      expect(await ctx.driver.getContainer('berth-conformance-no-such-container')).toBeNull();
    });
  },
};
