import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const networksGroup: GroupDefinition = {
  name: 'networks',
  needs: (caps) => (caps.networks ? undefined : 'the driver reports networks: false'),
  define(test) {
    test('create a network (internal where networks are isolated), attach a container, remove it', async (ctx) => {
      const name = `${ctx.sessionId}-net`;
      const internal = (await ctx.driver.capabilities()).networks === 'isolated';
      const network = await ctx.driver.createNetwork({ name, sessionId: ctx.sessionId, internal });
      expect(network).toMatchObject({ name, internal });
      try {
        const listed = await ctx.driver.listNetworks();
        expect(listed.find((n) => n.id === network.id)).toMatchObject({ name, internal });
        const { id } = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), network: name }),
        );
        await ctx.driver.removeContainer(id, { force: true });
      } finally {
        await ctx.driver.removeNetwork(network.id);
      }
      expect((await ctx.driver.listNetworks()).map((n) => n.id)).not.toContain(network.id);
    });

    test('an internal network where networks are only logical fails closed under strict enforcement', async (ctx, skip) => {
      const caps = await ctx.driver.capabilities();
      if (caps.networks === 'isolated') skip('this driver isolates networks');
      const enforcement = (ctx.driver as { enforcement?: string }).enforcement;
      const name = `${ctx.sessionId}-internal`;
      if (enforcement === 'best-effort') {
        const network = await ctx.driver.createNetwork({ name, sessionId: ctx.sessionId });
        expect(network.unenforced?.map((u) => u.feature)).toContain('networks');
        await ctx.driver.removeNetwork(network.id);
        return;
      }
      await expect(
        ctx.driver.createNetwork({ name, sessionId: ctx.sessionId }),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
      expect((await ctx.driver.listNetworks()).map((n) => n.name)).not.toContain(name);
    });

    test('an invalid network config is a ConfigurationError', async (ctx) => {
      const invalid = { name: `${ctx.sessionId}-bad`, internal: 'yes' } as never;
      await expect(ctx.driver.createNetwork(invalid)).rejects.toMatchObject({
        code: 'CONFIGURATION_ERROR',
      });
    });

    test('removing an unknown network is NetworkNotFoundError', async (ctx) => {
      await expect(ctx.driver.removeNetwork(`${ctx.sessionId}-nope`)).rejects.toMatchObject({
        code: 'NETWORK_NOT_FOUND',
      });
    });
  },
};
