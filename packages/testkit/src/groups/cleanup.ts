import { expect } from 'vitest';
import { callText, expectErrorCode, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import { removeSession } from '../support.js';

export const cleanupGroup: GroupDefinition = {
  name: 'cleanup',
  define(test) {
    test('nothing is left carrying the test session’s label', async (ctx) => {
      const leftover = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(leftover.id);
      await removeSession(ctx);
      const after = `after removing every container listed by ${callText('listContainers', { label: ctx.runLabel })}`;
      expect(
        await ctx.driver.listContainers({ label: ctx.runLabel }),
        `nothing the suite made is left, by label: ${after}`,
      ).toEqual([]);
      expect(
        await ctx.driver.listContainers({ sessionId: ctx.sessionId }),
        `nothing the suite made is left, by session ${shown(ctx.sessionId)}: ${after}`,
      ).toEqual([]);
      expect(
        await ctx.driver.getContainer(leftover.id),
        `a running container removed with force is gone: ${callText('getContainer', leftover.id)} ${after}`,
      ).toBeNull();
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
      const call = callText('cleanup', { sessionId: mine });
      const made = `session ${shown(mine)} has a running and a created container${caps.volumes ? ', a volume' : ''}${caps.networks ? ', a network' : ''}; session ${shown(other)} a container`;
      try {
        expect(
          await ctx.driver.cleanup({ sessionId: mine }),
          `cleanup counts what it removed: ${call} where ${made}`,
        ).toEqual({
          containers: 2,
          volumes: caps.volumes ? 1 : 0,
          networks: caps.networks ? 1 : 0,
        });
        const rule = `cleanup removes everything of the session: after ${call}`;
        expect(await ctx.driver.listContainers({ sessionId: mine }), `${rule}, containers`).toEqual(
          [],
        );
        expect(
          (await ctx.driver.listVolumes()).filter((v) => v.sessionId === mine),
          `${rule}, volumes`,
        ).toEqual([]);
        expect(
          (await ctx.driver.listNetworks()).filter((n) => n.sessionId === mine),
          `${rule}, networks`,
        ).toEqual([]);
        expect(
          await ctx.driver.getContainer(kept.id),
          `cleanup leaves other sessions alone: ${call} removed ${shown(kept.id)} of session ${shown(other)}`,
        ).not.toBeNull();
        // Idempotent: nothing left, nothing removed, no error.
        expect(
          await ctx.driver.cleanup({ sessionId: mine }),
          `a second cleanup finds nothing and is no error: ${call} again`,
        ).toEqual({ containers: 0, volumes: 0, networks: 0 });
      } finally {
        await ctx.driver.cleanup({ sessionId: other });
      }
    });

    test('cleanup refuses an empty or unknown filter rather than removing everything', async (ctx) => {
      for (const filter of [{}, { session: 'x' }, { all: false }, null]) {
        await expectErrorCode(
          'CONFIGURATION_ERROR',
          'an empty or unknown cleanup filter is a ConfigurationError, never "remove everything"',
          callText('cleanup', filter),
          () => ctx.driver.cleanup(filter as never),
        );
      }
    });
  },
};
