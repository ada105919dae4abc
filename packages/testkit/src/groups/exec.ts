import { ContainerNotFoundError } from '@berth/core';
import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

export const execGroup: GroupDefinition = {
  name: 'exec',
  needs: (caps) => (caps.exec ? undefined : 'the driver reports exec: false'),
  define(test) {
    test('returns exit code, stdout and stderr, with env and cwd applied', async (ctx) => {
      const { id } = await ctx.driver.createContainer(
        ctx.config({ command: ctx.longRunning(), env: { FROM_CONTAINER: 'c1' } }),
      );
      await ctx.driver.startContainer(id);
      try {
        const result = await ctx.driver.exec(
          id,
          ctx.sh('echo $FOO $FROM_CONTAINER; echo oops >&2; exit 4'),
          { env: { FOO: 'bar' } },
        );
        expect(result).toEqual({ exitCode: 4, stdout: 'bar c1\n', stderr: 'oops\n' });
        const cwd = await ctx.driver.exec(id, ctx.sh('pwd'), { cwd: '/tmp' });
        expect(cwd).toMatchObject({ exitCode: 0, stdout: '/tmp\n' });
        expect(await ctx.driver.exec(id, ['true'])).toMatchObject({ exitCode: 0 });
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('passes arguments as an array, never through a shell', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(id);
      try {
        const result = await ctx.driver.exec(id, ['echo', 'a;', 'echo', '$HOME', '>&2']);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toBe('a; echo $HOME >&2\n');
        expect(result.stderr).toBe('');
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('an unknown container is ContainerNotFoundError', async (ctx) => {
      await expect(ctx.driver.exec('berth-conformance-missing', ['true'])).rejects.toMatchObject({
        code: new ContainerNotFoundError('x').code,
      });
    });
  },
};
