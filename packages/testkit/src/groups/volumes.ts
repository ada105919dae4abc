import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const volumesGroup: GroupDefinition = {
  name: 'volumes',
  needs: (caps) => (caps.volumes ? undefined : 'the driver reports volumes: false'),
  define(test) {
    test('create, list, mount and remove a named volume', async (ctx) => {
      const name = `${ctx.sessionId}-data`;
      const volume = await ctx.driver.createVolume({ name, sessionId: ctx.sessionId });
      expect(volume.name).toBe(name);
      expect(volume.createdAt).toBeInstanceOf(Date);
      try {
        expect((await ctx.driver.listVolumes()).map((v) => v.name)).toContain(name);
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
      expect((await ctx.driver.listVolumes()).map((v) => v.name)).not.toContain(name);
    });

    test('a volume size the host cannot cap fails closed, or is listed under best-effort', async (ctx, skip) => {
      const caps = await ctx.driver.capabilities();
      if (caps.volumeSize === true) skip('this driver caps volume sizes');
      const enforcement = (ctx.driver as { enforcement?: string }).enforcement;
      const name = `${ctx.sessionId}-sized`;
      const config = { name, sessionId: ctx.sessionId, sizeMb: 10 };
      if (enforcement === 'best-effort') {
        const volume = await ctx.driver.createVolume(config);
        expect(volume.unenforced?.map((u) => u.feature)).toContain('volumeSize');
        await ctx.driver.removeVolume(volume.id);
        return;
      }
      await expect(ctx.driver.createVolume(config)).rejects.toMatchObject({
        code: 'UNSUPPORTED_FEATURE',
      });
      expect((await ctx.driver.listVolumes()).map((v) => v.name)).not.toContain(name);
    });

    test('an invalid volume config is a ConfigurationError', async (ctx) => {
      await expect(ctx.driver.createVolume({ name: '' })).rejects.toMatchObject({
        code: 'CONFIGURATION_ERROR',
      });
    });

    test('removing an unknown volume is VolumeNotFoundError', async (ctx) => {
      await expect(ctx.driver.removeVolume(`${ctx.sessionId}-nope`)).rejects.toMatchObject({
        code: 'VOLUME_NOT_FOUND',
      });
    });
  },
};
