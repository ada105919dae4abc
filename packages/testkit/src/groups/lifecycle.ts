import { DEFAULT_CPU, DEFAULT_MEMORY_MB, DEFAULT_PIDS } from '@berth/core';
import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const lifecycleGroup: GroupDefinition = {
  name: 'lifecycle',
  define(test) {
    test('create returns a created, not yet running instance with secure defaults', async (ctx) => {
      const created = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), labels: { role: 'probe' } }),
      );
      expect(created.id).toEqual(expect.any(String));
      expect(created.id.length).toBeGreaterThan(0);
      expect(created.name.length).toBeGreaterThan(0);
      expect(created.sessionId).toBe(ctx.sessionId);
      expect(created.image).toBe(ctx.options.image);
      expect(created.status).toBe('created');
      expect(created.state).toBe('terminated');
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created.driver).toBe(ctx.driver.name);
      expect(created.labels).toMatchObject({ role: 'probe', ...ctx.runLabel });
      expect(created.resources).toMatchObject({
        cpu: ctx.options.baseConfig?.resources?.cpu ?? DEFAULT_CPU,
        memory: ctx.options.baseConfig?.resources?.memory ?? DEFAULT_MEMORY_MB,
        pids: ctx.options.baseConfig?.resources?.pids ?? DEFAULT_PIDS,
      });
      const fetched = await ctx.driver.getContainer(created.id);
      expect(fetched?.id).toBe(created.id);
      expect(fetched?.status).toBe('created');
      await ctx.driver.removeContainer(created.id);
    });

    test('start, stop, restart and remove move through the documented states', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(id);
      const running = await ctx.driver.getContainer(id);
      expect(running).toMatchObject({ status: 'running', state: 'running' });
      expect(running?.startedAt).toBeInstanceOf(Date);

      await ctx.driver.stopContainer(id, { timeout: 2 });
      const stopped = await ctx.driver.getContainer(id);
      expect(['stopped', 'exited']).toContain(stopped?.status);
      expect(stopped?.state).toBe('terminated');

      await ctx.driver.restartContainer(id, { timeout: 2 });
      expect(await ctx.driver.getContainer(id)).toMatchObject({
        status: 'running',
        state: 'running',
      });

      await ctx.driver.stopContainer(id, { timeout: 2 });
      await ctx.driver.removeContainer(id);
      expect(await ctx.driver.getContainer(id)).toBeNull();
      const listed = await ctx.driver.listContainers({ sessionId: ctx.sessionId });
      expect(listed.map((c) => c.id)).not.toContain(id);
    });

    test('a container that ends by itself is exited with its exit code', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.sh('exit 3') }));
      await ctx.driver.startContainer(id);
      expect(await ctx.driver.waitContainer(id)).toEqual({ exitCode: 3, oomKilled: false });
      const ended = await ctx.driver.getContainer(id);
      expect(ended).toMatchObject({ status: 'exited', state: 'terminated', exitCode: 3 });
      expect(ended?.finishedAt).toBeInstanceOf(Date);
      await ctx.driver.removeContainer(id);
    });

    test('remove refuses a running container unless forced', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(id);
      const refused = await ctx.driver.removeContainer(id).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: expect.any(String) });
      expect((await ctx.driver.getContainer(id))?.status).toBe('running');
      await ctx.driver.removeContainer(id, { force: true });
      expect(await ctx.driver.getContainer(id)).toBeNull();
    });
  },
};
