import { ConflictError, type ContainerProcess, ProcessNotFoundError } from '@berth/core';
import { expect } from 'vitest';
import { shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import type { SuiteContext } from '../support.js';

const needsProcesses = (caps: { processes: boolean }) =>
  caps.processes ? undefined : 'the driver reports processes: false';

async function text(stream: AsyncIterable<Uint8Array>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += Buffer.from(chunk).toString();
  return out;
}

async function running(ctx: SuiteContext, body: (id: string) => Promise<void>): Promise<void> {
  const { id } = await ctx.driver.createContainer(ctx.config({ command: ctx.longRunning() }));
  try {
    await ctx.driver.startContainer(id);
    await body(id);
  } finally {
    await ctx.driver.removeContainer(id, { force: true });
  }
}

export const processesGroup: GroupDefinition = {
  name: 'processes',
  needs: needsProcesses,
  define(test) {
    test('streams output as it is produced, not after the process ends', async (ctx) => {
      await running(ctx, async (id) => {
        const proc = await ctx.driver.spawn(id, ctx.sh('echo first; sleep 1.5; echo second'));
        const seen: { line: string; at: number }[] = [];
        for await (const chunk of proc.stdout) {
          for (const line of Buffer.from(chunk).toString().split('\n').filter(Boolean)) {
            seen.push({ line, at: Date.now() });
          }
        }
        const exit = await proc.wait();
        expect(
          seen.map((s) => s.line),
          'both lines, in order',
        ).toEqual(['first', 'second']);
        const gap = (seen[1]?.at ?? 0) - (seen[0]?.at ?? 0);
        expect(gap, `the first line came ${gap} ms before the second, not with it`).toBeGreaterThan(
          700,
        );
        expect(exit).toMatchObject({ exitCode: 0, timedOut: false, oomKilled: false });
      });
    });

    test('keeps stdout and stderr apart, and output() interleaves them', async (ctx) => {
      await running(ctx, async (id) => {
        const script = 'echo out-1; echo err-1 >&2; sleep 0.2; echo out-2; exit 5';
        const proc = await ctx.driver.spawn(id, ctx.sh(script));
        const [out, err] = await Promise.all([text(proc.stdout), text(proc.stderr)]);
        expect({ out, err }).toEqual({ out: 'out-1\nout-2\n', err: 'err-1\n' });
        expect((await proc.wait()).exitCode, 'its exit code').toBe(5);

        const both = await ctx.driver.spawn(id, ctx.sh(script));
        const parts: string[] = [];
        for await (const { stream, data } of both.output()) {
          parts.push(`${stream}:${Buffer.from(data).toString().trim()}`);
        }
        expect(parts.join(' '), 'every line with its stream').toMatch(/stdout:out-1/);
        expect(parts.join(' ')).toMatch(/stderr:err-1/);
        expect(parts.join(' ')).toMatch(/stdout:out-2/);
        expect(() => both.stdout[Symbol.asyncIterator](), 'a stream read once').toThrow(/already/);
      });
    });

    test('takes stdin, and closing it is end-of-file to a program reading to the end', async (ctx) => {
      await running(ctx, async (id) => {
        const proc = await ctx.driver.spawn(id, ['cat'], { stdin: true });
        const output = text(proc.stdout);
        await proc.write('hello ');
        await proc.write(new TextEncoder().encode('from stdin\n'));
        await proc.closeStdin();
        const exit = await proc.wait();
        expect(await output).toBe('hello from stdin\n');
        expect(exit.exitCode, `cat ended by itself at end-of-file: ${shown(exit)}`).toBe(0);
        const late = await proc.write('more').catch((e: unknown) => e);
        expect(late, 'writing after close is a ConflictError').toBeInstanceOf(ConflictError);
        const without = await ctx.driver.spawn(id, ['cat']);
        expect(
          (await without.wait()).exitCode,
          'without stdin, cat reads end-of-file at once',
        ).toBe(0);
        await expect(without.write('x')).rejects.toBeInstanceOf(ConflictError);
      });
    });

    test('kill ends a process; a timeout kills it and says so', async (ctx) => {
      await running(ctx, async (id) => {
        const proc = await ctx.driver.spawn(id, ctx.longRunning());
        await proc.kill('SIGKILL');
        const exit = await proc.wait();
        expect(exit.exitCode, shown(exit)).toBe(137);
        await proc.kill(); // nothing left to kill
        const slow = await ctx.driver.spawn(id, ctx.longRunning(), { timeout: 500 });
        const started = Date.now();
        const timed = await slow.wait();
        expect(timed, shown(timed)).toMatchObject({ timedOut: true, exitCode: 137 });
        expect(Date.now() - started, 'killed at its timeout').toBeLessThan(10_000);
      });
    });

    test('truncates output beyond maxOutputBytes, with a flag, and keeps the rest', async (ctx) => {
      await running(ctx, async (id) => {
        const line = 'x'.repeat(99);
        const script = Array.from({ length: 30 }, () => `echo ${line}`).join('; ');
        const proc = await ctx.driver.spawn(id, ctx.sh(script), { maxOutputBytes: 1000 });
        const out = await text(proc.stdout);
        const exit = await proc.wait();
        expect(out.length, 'exactly the budget is delivered').toBe(1000);
        expect(exit.truncated, shown(exit)).toEqual({ stdout: true, stderr: false });
        expect(exit.exitCode).toBe(0);
      });
    });

    test('waiting without reading never deadlocks, and a stopped container takes no process', async (ctx) => {
      await running(ctx, async (id) => {
        const script = Array.from({ length: 200 }, () => `echo ${'y'.repeat(500)}`).join('; ');
        const proc: ContainerProcess = await ctx.driver.spawn(id, ctx.sh(script));
        expect((await proc.wait()).exitCode, 'it ran to its end unread').toBe(0);
        await ctx.driver.stopContainer(id, { timeout: 1 });
        const error = await ctx.driver.spawn(id, ['true']).catch((e: unknown) => e);
        expect(error, `spawn in a stopped container: ${shown(error)}`).toBeInstanceOf(
          ConflictError,
        );
      });
    });

    test(
      'listProcesses and attach find a spawned process again',
      async (ctx) => {
        await running(ctx, async (id) => {
          const proc = await ctx.driver.spawn(id, ctx.sh('sleep 1; echo later; sleep 600'));
          const listed = await ctx.driver.listProcesses(id);
          const mine = listed.find((p) => p.id === proc.id);
          expect(mine, `listProcesses has it: ${shown(listed)}`).toMatchObject({ running: true });
          const again = await ctx.driver.attach(id, proc.id);
          await again.kill('SIGKILL');
          expect((await proc.wait()).exitCode, 'the attached handle killed it').toBe(137);
          const after = (await ctx.driver.listProcesses(id)).find((p) => p.id === proc.id);
          expect(after?.running, 'listed as ended').toBe(false);
          const unknown = await ctx.driver.attach(id, 'no-such-process').catch((e: unknown) => e);
          expect(unknown, `attach to an unknown id: ${shown(unknown)}`).toBeInstanceOf(
            ProcessNotFoundError,
          );
        });
      },
      (caps) => (caps.processAttach ? undefined : 'the driver reports processAttach: false'),
    );
  },
};
