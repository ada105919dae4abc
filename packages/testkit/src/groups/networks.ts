import { expect } from 'vitest';
import { callText, expectErrorCode, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';

export const networksGroup: GroupDefinition = {
  name: 'networks',
  needs: (caps) => (caps.networks ? undefined : 'the driver reports networks: false'),
  define(test) {
    test('create a network (internal where networks are isolated), attach a container, remove it', async (ctx) => {
      const name = `${ctx.sessionId}-net`;
      const internal = (await ctx.driver.capabilities()).networks === 'isolated';
      const config = { name, sessionId: ctx.sessionId, internal };
      const network = await ctx.driver.createNetwork(config);
      const made = `${callText('createNetwork', config)} returned ${shown(network)}`;
      expect(network, `a network keeps its name and internal flag: ${made}`).toMatchObject({
        name,
        internal,
      });
      try {
        const listed = await ctx.driver.listNetworks();
        expect(
          listed.find((n) => n.id === network.id),
          `listNetworks lists a network just created, by its id: ${made}; listed ${shown(listed)}`,
        ).toMatchObject({ name, internal });
        const { id } = await ctx.driver.createContainer(
          ctx.config({ command: ctx.longRunning(), network: name }),
        );
        await ctx.driver.removeContainer(id, { force: true });
      } finally {
        await ctx.driver.removeNetwork(network.id);
      }
      expect(
        (await ctx.driver.listNetworks()).map((n) => n.id),
        `a removed network is not listed: after ${callText('removeNetwork', network.id)}`,
      ).not.toContain(network.id);
    });

    test('an internal network where networks are only logical fails closed under strict enforcement', async (ctx, skip) => {
      const caps = await ctx.driver.capabilities();
      if (caps.networks === 'isolated') skip('this driver isolates networks');
      const enforcement = (ctx.driver as { enforcement?: string }).enforcement;
      const name = `${ctx.sessionId}-internal`;
      // `internal` defaults to true: the secure default is what is asked for here.
      const config = { name, sessionId: ctx.sessionId };
      const call = callText('createNetwork', config);
      if (enforcement === 'best-effort') {
        const network = await ctx.driver.createNetwork(config);
        expect(
          network.unenforced?.map((u) => u.feature),
          `under best-effort, an internal network on logical networks is listed in unenforced: ${call} returned ${shown(network)}`,
        ).toContain('networks');
        await ctx.driver.removeNetwork(network.id);
        return;
      }
      await expectErrorCode(
        'UNSUPPORTED_FEATURE',
        `under strict enforcement, an internal network is refused where networks are ${shown(caps.networks)}`,
        call,
        () => ctx.driver.createNetwork(config),
      );
      expect(
        (await ctx.driver.listNetworks()).map((n) => n.name),
        `a refused network is not made: ${call}`,
      ).not.toContain(name);
    });

    test('a network carries the berth label vocabulary: managed, driver, session, tenant', async (ctx) => {
      const internal = (await ctx.driver.capabilities()).networks === 'isolated';
      const config = {
        name: `${ctx.sessionId}-labelled`,
        sessionId: ctx.sessionId,
        tenantId: 'tenant-a',
        labels: { app: 'x' },
        internal,
      };
      const network = await ctx.driver.createNetwork(config);
      try {
        const listed = (await ctx.driver.listNetworks()).find((n) => n.id === network.id);
        for (const [what, seen] of [
          ['the created network', network],
          ['the listed network', listed],
        ] as const) {
          expect(seen?.labels, `${what} of ${callText('createNetwork', config)}`).toMatchObject({
            app: 'x',
            'berth.managed': 'true',
            'berth.driver': ctx.driver.name,
            'berth.session': ctx.sessionId,
            'berth.tenant': 'tenant-a',
          });
        }
      } finally {
        await ctx.driver.removeNetwork(network.id);
      }
    });

    test('an invalid network config is a ConfigurationError', async (ctx) => {
      const invalid = { name: `${ctx.sessionId}-bad`, internal: 'yes' } as never;
      await expectErrorCode(
        'CONFIGURATION_ERROR',
        'an invalid network config (internal not a boolean) is a ConfigurationError',
        callText('createNetwork', invalid),
        () => ctx.driver.createNetwork(invalid),
      );
    });

    test('removing an unknown network is NetworkNotFoundError', async (ctx) => {
      const missing = `${ctx.sessionId}-nope`;
      await expectErrorCode(
        'NETWORK_NOT_FOUND',
        'removing a network that does not exist is NetworkNotFoundError',
        callText('removeNetwork', missing),
        () => ctx.driver.removeNetwork(missing),
      );
    });
  },
};
