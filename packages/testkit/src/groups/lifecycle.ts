import { DEFAULT_CPU, DEFAULT_MEMORY_MB, DEFAULT_PIDS } from '@berth/core';
import { expect } from 'vitest';
import { callText, settle, settledText, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';

export const lifecycleGroup: GroupDefinition = {
  name: 'lifecycle',
  define(test) {
    test('create returns a created, not yet running instance with secure defaults', async (ctx) => {
      const config = ctx.config({ command: ctx.longRunning(), labels: { role: 'probe' } });
      const created = await ctx.driver.createContainer(config);
      const made = `${callText('createContainer', config)} returned ${shown(created)}`;
      expect(created.id, `the instance has a string id: ${made}`).toEqual(expect.any(String));
      expect(created.id.length, `the instance's id is not empty: ${made}`).toBeGreaterThan(0);
      expect(created.name.length, `the instance has a name: ${made}`).toBeGreaterThan(0);
      expect(created.sessionId, `the instance keeps the config's sessionId: ${made}`).toBe(
        ctx.sessionId,
      );
      expect(created.image, `the instance keeps the config's image: ${made}`).toBe(
        ctx.options.image,
      );
      expect(created.status, `a new container is created, not started: ${made}`).toBe('created');
      expect(created.state, `a new container is not running: ${made}`).toBe('terminated');
      expect(created.createdAt, `createdAt is a Date: ${made}`).toBeInstanceOf(Date);
      expect(created.driver, `the instance names its driver: ${made}`).toBe(ctx.driver.name);
      expect(created.labels, `the instance carries the config's labels: ${made}`).toMatchObject({
        role: 'probe',
        ...ctx.runLabel,
      });
      expect(
        created.resources,
        `limits left out of the config get the secure defaults: ${made}`,
      ).toMatchObject({
        cpu: ctx.options.baseConfig?.resources?.cpu ?? DEFAULT_CPU,
        memory: ctx.options.baseConfig?.resources?.memory ?? DEFAULT_MEMORY_MB,
        pids: ctx.options.baseConfig?.resources?.pids ?? DEFAULT_PIDS,
      });
      const fetched = await ctx.driver.getContainer(created.id);
      const got = `${callText('getContainer', created.id)} returned ${shown(fetched)}`;
      expect(fetched?.id, `getContainer finds a container just created: ${got}`).toBe(created.id);
      expect(fetched?.status, `a container not started is created: ${got}`).toBe('created');
      await ctx.driver.removeContainer(created.id);
    });

    test('start, stop, restart and remove move through the documented states', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      const state = async (after: string) => {
        const found = await ctx.driver.getContainer(id);
        return {
          found,
          seen: `after ${after}, getContainer(${shown(id)}) returned ${shown(found)}`,
        };
      };
      await ctx.driver.startContainer(id);
      const running = await state(callText('startContainer', id));
      expect(running.found, `a started container is running: ${running.seen}`).toMatchObject({
        status: 'running',
        state: 'running',
      });
      expect(
        running.found?.startedAt,
        `a started container has startedAt: ${running.seen}`,
      ).toBeInstanceOf(Date);

      await ctx.driver.stopContainer(id, { timeout: 2 });
      const stopped = await state(callText('stopContainer', id, { timeout: 2 }));
      expect(
        ['stopped', 'exited'],
        `a stopped container is stopped or exited: ${stopped.seen}`,
      ).toContain(stopped.found?.status);
      expect(stopped.found?.state, `a stopped container is terminated: ${stopped.seen}`).toBe(
        'terminated',
      );

      await ctx.driver.restartContainer(id, { timeout: 2 });
      const restarted = await state(callText('restartContainer', id, { timeout: 2 }));
      expect(restarted.found, `a restarted container is running: ${restarted.seen}`).toMatchObject({
        status: 'running',
        state: 'running',
      });

      await ctx.driver.stopContainer(id, { timeout: 2 });
      await ctx.driver.removeContainer(id);
      const removed = await state(callText('removeContainer', id));
      expect(removed.found, `a removed container is gone: ${removed.seen}`).toBeNull();
      const listed = await ctx.driver.listContainers({ sessionId: ctx.sessionId });
      expect(
        listed.map((c) => c.id),
        `a removed container is not listed: ${callText('listContainers', { sessionId: ctx.sessionId })} after ${callText('removeContainer', id)}`,
      ).not.toContain(id);
    });

    test('a container that ends by itself is exited with its exit code', async (ctx) => {
      const command = ctx.sh('exit 3');
      const { id } = await ctx.driver.createContainer(ctx.config({ command }));
      await ctx.driver.startContainer(id);
      const program = `the container's program ${shown(command)}`;
      expect(
        await ctx.driver.waitContainer(id),
        `waitContainer returns the program's exit code: ${program}`,
      ).toEqual({ exitCode: 3, oomKilled: false });
      const ended = await ctx.driver.getContainer(id);
      const seen = `${program}, then getContainer returned ${shown(ended)}`;
      expect(
        ended,
        `a container whose program ended is exited with its code: ${seen}`,
      ).toMatchObject({
        status: 'exited',
        state: 'terminated',
        exitCode: 3,
      });
      expect(ended?.finishedAt, `an exited container has finishedAt: ${seen}`).toBeInstanceOf(Date);
      await ctx.driver.removeContainer(id);
    });

    test('remove refuses a running container unless forced', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(id);
      const call = callText('removeContainer', id);
      const refused = await settle(() => ctx.driver.removeContainer(id));
      expect(
        'error' in refused ? refused.error : undefined,
        `removing a running container without force is a typed error: ${call} ${settledText(refused)}`,
      ).toMatchObject({ code: expect.any(String) });
      expect(
        (await ctx.driver.getContainer(id))?.status,
        `a refused remove leaves the container running: after ${call}`,
      ).toBe('running');
      await ctx.driver.removeContainer(id, { force: true });
      expect(
        await ctx.driver.getContainer(id),
        `a forced remove removes a running container: ${callText('removeContainer', id, { force: true })}`,
      ).toBeNull();
    });
  },
};
