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
