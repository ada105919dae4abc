import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const networksGroup: GroupDefinition = {
  name: 'networks',
  needs: (caps) => (caps.networks ? undefined : 'the driver reports networks: false'),
  define(test) {
    test('create an internal network, attach a container, remove it', async (ctx) => {
      const name = `${ctx.sessionId}-net`;
      const network = await ctx.driver.createNetwork({
        name,
        sessionId: ctx.sessionId,
        internal: true,
      });
      expect(network).toMatchObject({ name, internal: true });
      try {
        const listed = await ctx.driver.listNetworks();
        expect(listed.find((n) => n.id === network.id)).toMatchObject({ name, internal: true });
        const { id } = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), network: name }),
        );
        await ctx.driver.removeContainer(id, { force: true });
      } finally {
        await ctx.driver.removeNetwork(network.id);
      }
      expect((await ctx.driver.listNetworks()).map((n) => n.id)).not.toContain(network.id);
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
