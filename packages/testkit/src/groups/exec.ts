import { ContainerNotFoundError } from '@berth/core';
import { expect } from 'vitest';
import { callText, expectErrorCode, expectExitCode } from '../assertions.js';
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
        const argv = ctx.sh('echo $FOO $FROM_CONTAINER; echo oops >&2; exit 4');
        const options = { env: { FOO: 'bar' } };
        const call = callText('exec', id, argv, options);
        const result = await ctx.driver.exec(id, argv, options);
        expectExitCode(result, 4, "exec returns the command's exit code", call);
        expect(
          result,
          `exec returns stdout and stderr apart, the exec's env added to the container's (FROM_CONTAINER=c1): ${call}`,
        ).toEqual({ exitCode: 4, stdout: 'bar c1\n', stderr: 'oops\n' });

        const pwd = ctx.sh('pwd');
        const cwdCall = callText('exec', id, pwd, { cwd: '/tmp' });
        const cwd = await ctx.driver.exec(id, pwd, { cwd: '/tmp' });
        expectExitCode(cwd, 0, 'exec runs the command', cwdCall);
        expect(cwd.stdout, `exec runs the command in options.cwd: ${cwdCall}`).toBe('/tmp\n');

        const bare = await ctx.driver.exec(id, ['true']);
        expectExitCode(
          bare,
          0,
          'exec runs a program with no shell',
          callText('exec', id, ['true']),
        );
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('passes arguments as an array, never through a shell', async (ctx) => {
      const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
      await ctx.driver.startContainer(id);
      try {
        const argv = ['echo', 'a;', 'echo', '$HOME', '>&2'];
        const call = callText('exec', id, argv);
        const result = await ctx.driver.exec(id, argv);
        const rule = 'exec passes each argument as it is, never through a shell';
        expectExitCode(result, 0, rule, call);
        expect(result.stdout, `${rule} (no ';', '$' or '>&2' interpreted): ${call}`).toBe(
          'a; echo $HOME >&2\n',
        );
        expect(result.stderr, `${rule} (nothing redirected to stderr): ${call}`).toBe('');
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('an unknown container is ContainerNotFoundError', async (ctx) => {
      const missing = 'berth-conformance-missing';
      await expectErrorCode(
        new ContainerNotFoundError('x').code,
        'exec in a container that does not exist is ContainerNotFoundError',
        callText('exec', missing, ['true']),
        () => ctx.driver.exec(missing, ['true']),
      );
    });
  },
};
