import { expect } from 'vitest';
import { callText, expectErrorCode, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';

export const volumesGroup: GroupDefinition = {
  name: 'volumes',
  needs: (caps) => (caps.volumes ? undefined : 'the driver reports volumes: false'),
  define(test) {
    test('create, list, mount and remove a named volume', async (ctx) => {
      const name = `${ctx.sessionId}-data`;
      const config = { name, sessionId: ctx.sessionId };
      const volume = await ctx.driver.createVolume(config);
      const made = `${callText('createVolume', config)} returned ${shown(volume)}`;
      expect(volume.name, `a volume keeps its name: ${made}`).toBe(name);
      expect(volume.createdAt, `createdAt is a Date: ${made}`).toBeInstanceOf(Date);
      try {
        const listed = (await ctx.driver.listVolumes()).map((v) => v.name);
        expect(listed, `listVolumes lists a volume just created: ${made}`).toContain(name);
        const { id } = await ctx.driver.createContainer(
          ctx.config({
            command: ctx.sh('echo mounted'),
            volumes: [{ source: volume.name, target: '/data', type: 'volume' }],
          }),
        );
        await ctx.driver.removeContainer(id, { force: true });
      } finally {
        await ctx.driver.removeVolume(volume.id);
      }
      expect(
        (await ctx.driver.listVolumes()).map((v) => v.name),
        `a removed volume is not listed: after ${callText('removeVolume', volume.id)}`,
      ).not.toContain(name);
    });

    test('a volume carries the berth label vocabulary: managed, driver, session, tenant', async (ctx) => {
      const name = `${ctx.sessionId}-labelled`;
      const config = { name, sessionId: ctx.sessionId, tenantId: 'tenant-a', labels: { app: 'x' } };
      const volume = await ctx.driver.createVolume(config);
      try {
        const listed = (await ctx.driver.listVolumes()).find((v) => v.name === name);
        for (const [what, seen] of [
          ['the created volume', volume],
          ['the listed volume', listed],
        ] as const) {
          expect(seen?.labels, `${what} of ${callText('createVolume', config)}`).toMatchObject({
            app: 'x',
            'berth.managed': 'true',
            'berth.driver': ctx.driver.name,
            'berth.session': ctx.sessionId,
            'berth.tenant': 'tenant-a',
          });
          expect(seen, `${what} reports its owners`).toMatchObject({
            sessionId: ctx.sessionId,
            tenantId: 'tenant-a',
          });
        }
      } finally {
        await ctx.driver.removeVolume(volume.id);
      }
    });

    test('a volume driver the driver does not offer fails closed', async (ctx) => {
      const config = {
        name: `${ctx.sessionId}-alien`,
        sessionId: ctx.sessionId,
        driver: 'no-such-driver',
      };
      await expectErrorCode(
        'UNSUPPORTED_FEATURE',
        'a volume driver that is not offered is refused, never replaced by the default',
        callText('createVolume', config),
        () => ctx.driver.createVolume(config),
      );
      expect((await ctx.driver.listVolumes()).map((v) => v.name)).not.toContain(config.name);
    });

    test('a volume size the host cannot cap fails closed, or is listed under best-effort', async (ctx, skip) => {
      const caps = await ctx.driver.capabilities();
      if (caps.volumeSize === true) skip('this driver caps volume sizes');
      const enforcement = (ctx.driver as { enforcement?: string }).enforcement;
      const name = `${ctx.sessionId}-sized`;
      const config = { name, sessionId: ctx.sessionId, sizeMb: 10 };
      const call = callText('createVolume', config);
      if (enforcement === 'best-effort') {
        const volume = await ctx.driver.createVolume(config);
        expect(
          volume.unenforced?.map((u) => u.feature),
          `under best-effort, a size the host cannot cap is listed in unenforced: ${call} returned ${shown(volume)}`,
        ).toContain('volumeSize');
        await ctx.driver.removeVolume(volume.id);
        return;
      }
      await expectErrorCode(
        'UNSUPPORTED_FEATURE',
        'under strict enforcement, a size the host cannot cap (volumeSize not true) is refused',
        call,
        () => ctx.driver.createVolume(config),
      );
      expect(
        (await ctx.driver.listVolumes()).map((v) => v.name),
        `a refused volume is not made: ${call}`,
      ).not.toContain(name);
    });

    test('an invalid volume config is a ConfigurationError', async (ctx) => {
      const config = { name: '' };
      await expectErrorCode(
        'CONFIGURATION_ERROR',
        'an invalid volume config (empty name) is a ConfigurationError',
        callText('createVolume', config),
        () => ctx.driver.createVolume(config),
      );
    });

    test('removing an unknown volume is VolumeNotFoundError', async (ctx) => {
      const missing = `${ctx.sessionId}-nope`;
      await expectErrorCode(
        'VOLUME_NOT_FOUND',
        'removing a volume that does not exist is VolumeNotFoundError',
        callText('removeVolume', missing),
        () => ctx.driver.removeVolume(missing),
      );
    });
  },
};
