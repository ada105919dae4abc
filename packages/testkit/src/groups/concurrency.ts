import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

const PARALLEL = 20;

export const concurrencyGroup: GroupDefinition = {
  name: 'concurrency',
  define(test) {
    test(`${PARALLEL} parallel creates in one session get unique ids, all listed`, async (ctx) => {
      const label = { batch: 'parallel' };
      const created = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          ctx.driver.createContainer(ctx.config({ command: ctx.longRunning(), labels: label })),
        ),
      );
      try {
        const ids = created.map((c) => c.id);
        expect(new Set(ids).size).toBe(PARALLEL);
        expect(new Set(created.map((c) => c.name)).size).toBe(PARALLEL);
        const listed = await ctx.driver.listContainers({ label: { ...ctx.runLabel, ...label } });
        expect(listed.map((c) => c.id).sort()).toEqual([...ids].sort());
      } finally {
        await Promise.all(created.map((c) => ctx.driver.removeContainer(c.id, { force: true })));
      }
      expect(await ctx.driver.listContainers({ label: { ...ctx.runLabel, ...label } })).toEqual([]);
    });
  },
};
