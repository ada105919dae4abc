import type { ContainerFilter } from '@berth/core';
import { expect } from 'vitest';
import { callText, shown } from '../assertions.js';
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
      const known = `(running ${shown(running.id)} {tier: web, color: blue}, created ${shown(idle.id)} {tier: db}, and ${shown(elsewhere.id)} {tier: web} in session ${shown(otherSession)})`;
      /** The ids a filter lists, and the message naming the filter and the containers. */
      const list = async (filter: ContainerFilter, rule: string) => {
        const ids = (await ctx.driver.listContainers(filter)).map((c) => c.id).sort();
        return {
          ids,
          says: `${rule}: ${callText('listContainers', filter)} of ${known} gave ${shown(ids)}`,
        };
      };
      try {
        const mine = await list(
          { sessionId: ctx.sessionId },
          'a sessionId filter lists that session only',
        );
        expect(mine.ids, mine.says).toEqual(expect.arrayContaining([running.id, idle.id]));
        expect(mine.ids, mine.says).not.toContain(elsewhere.id);
        const other = await list(
          { sessionId: otherSession },
          'a sessionId filter lists that session only',
        );
        expect(other.ids, other.says).toEqual([elsewhere.id]);

        const byStatus = await list(
          { sessionId: ctx.sessionId, status: 'running' },
          'a status filter lists containers of that status only',
        );
        expect(byStatus.ids, byStatus.says).toContain(running.id);
        expect(byStatus.ids, byStatus.says).not.toContain(idle.id);
        const created = await list(
          { sessionId: ctx.sessionId, status: ['created'] },
          'a status filter may be a list',
        );
        expect(created.ids, created.says).toContain(idle.id);
        const active = await list(
          { sessionId: ctx.sessionId, state: 'running' },
          'a state filter lists containers in that state only',
        );
        expect(active.ids, active.says).toContain(running.id);
        expect(active.ids, active.says).not.toContain(idle.id);

        const web = await list(
          { label: { ...ctx.runLabel, tier: 'web' } },
          'a label filter lists containers with every label given, across sessions',
        );
        expect(web.ids, web.says).toEqual([running.id, elsewhere.id].sort());
        const colored = await list(
          { label: { ...ctx.runLabel, color: true } },
          'a label filter with `true` lists containers having the label, whatever its value',
        );
        expect(colored.ids, colored.says).toEqual([running.id]);
        const none = await list(
          { label: { ...ctx.runLabel, tier: 'none' } },
          'a label filter matching no container lists nothing',
        );
        expect(none.ids, none.says).toEqual([]);
      } finally {
        for (const c of [running, idle, elsewhere]) {
          await ctx.driver.removeContainer(c.id, { force: true });
        }
      }
    });

    test('getContainer of an unknown id is null', async (ctx) => {
      const missing = 'berth-conformance-no-such-container';
      expect(
        await ctx.driver.getContainer(missing),
        `getContainer of an id no container has is null, not an error: ${callText('getContainer', missing)}`,
      ).toBeNull();
    });
  },
};
