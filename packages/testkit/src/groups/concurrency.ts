import { expect } from 'vitest';
import { callText, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';

const PARALLEL = 20;

export const concurrencyGroup: GroupDefinition = {
  name: 'concurrency',
  define(test) {
    test(`${PARALLEL} parallel creates in one session get unique ids, all listed`, async (ctx) => {
      const label = { batch: 'parallel' };
      const filter = { label: { ...ctx.runLabel, ...label } };
      const created = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          ctx.driver.createContainer(ctx.config({ command: ctx.longRunning(), labels: label })),
        ),
      );
      try {
        const ids = created.map((c) => c.id);
        const names = created.map((c) => c.name);
        expect(
          new Set(ids).size,
          `${PARALLEL} parallel creates get ${PARALLEL} distinct ids: got ${shown(ids)}`,
        ).toBe(PARALLEL);
        expect(
          new Set(names).size,
          `${PARALLEL} parallel creates get ${PARALLEL} distinct names: got ${shown(names)}`,
        ).toBe(PARALLEL);
        const listed = await ctx.driver.listContainers(filter);
        expect(
          listed.map((c) => c.id).sort(),
          `every container made in parallel is listed, once: ${callText('listContainers', filter)}`,
        ).toEqual([...ids].sort());
      } finally {
        await Promise.all(created.map((c) => ctx.driver.removeContainer(c.id, { force: true })));
      }
      expect(
        await ctx.driver.listContainers(filter),
        `containers removed in parallel are all gone: ${callText('listContainers', filter)}`,
      ).toEqual([]);
    });
  },
};
