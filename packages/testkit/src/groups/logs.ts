import type { DriverCapabilities, LogLine } from '@berth/core';
import { expect } from 'vitest';
import { callText, shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';

const followNeeded = (caps: DriverCapabilities) =>
  caps.logsFollow ? undefined : 'the driver reports logsFollow: false';

export const logsGroup: GroupDefinition = {
  name: 'logs',
  define(test) {
    test('keeps stdout and stderr apart, with tail, since and timestamps', async (ctx) => {
      const command = ctx.sh('echo out1; echo err1 >&2; echo out2; echo err2 >&2');
      const { id } = await ctx.driver.createContainer(ctx.config({ command }));
      await ctx.driver.startContainer(id);
      await ctx.driver.waitContainer(id);
      const logs = async (
        options: Parameters<typeof ctx.driver.getContainerLogs>[1],
        rule: string,
      ) => {
        const text = await ctx.driver.getContainerLogs(id, options);
        return {
          text,
          says: `${rule}: ${callText('getContainerLogs', id, options)} of a container that ran ${shown(command)} gave ${shown(text)}`,
        };
      };
      try {
        const out = await logs({ stderr: false }, 'stderr: false leaves only stdout, in order');
        expect(out.text, out.says).toBe('out1\nout2\n');
        const err = await logs({ stdout: false }, 'stdout: false leaves only stderr, in order');
        expect(err.text, err.says).toBe('err1\nerr2\n');
        const both = await logs(undefined, 'the log holds both streams, a line each');
        for (const line of ['out1', 'out2', 'err1', 'err2']) {
          expect(both.text, both.says).toContain(`${line}\n`);
        }
        const tail = await logs({ stderr: false, tail: 1 }, 'tail: 1 keeps the last line');
        expect(tail.text, tail.says).toBe('out2\n');
        const future = await logs(
          { since: Date.now() + 60_000 },
          'since in the future leaves nothing',
        );
        expect(future.text, future.says).toBe('');
        const epoch = await logs(
          { stderr: false, since: new Date(0) },
          'since the epoch keeps everything',
        );
        expect(epoch.text, epoch.says).toBe('out1\nout2\n');
        const stamped = await logs(
          { timestamps: true, stderr: false },
          'timestamps: true puts a parseable time and a space before each line',
        );
        const lines = stamped.text.trimEnd().split('\n');
        expect(lines, stamped.says).toHaveLength(2);
        for (const line of lines) {
          const [stamp, ...rest] = line.split(' ');
          expect(
            Number.isNaN(Date.parse(stamp ?? '')),
            `${stamped.says}; ${shown(stamp)} is no time`,
          ).toBe(false);
          expect(rest.join(' '), stamped.says).toMatch(/^out[12]$/);
        }
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('streamLogs yields typed lines per stream', async (ctx) => {
      const command = ctx.sh('echo a; echo b >&2');
      const { id } = await ctx.driver.createContainer(ctx.config({ command }));
      await ctx.driver.startContainer(id);
      await ctx.driver.waitContainer(id);
      try {
        const lines: LogLine[] = [];
        for await (const line of ctx.driver.streamLogs(id)) lines.push(line);
        const says = `streamLogs yields each line with its stream: ${callText('streamLogs', id)} of a container that ran ${shown(command)} yielded ${shown(lines)}`;
        expect(lines.map((l) => [l.stream, l.line]).sort(), says).toEqual([
          ['stderr', 'b'],
          ['stdout', 'a'],
        ]);
        for (const line of lines)
          expect(line.timestamp, `each line's timestamp is a Date: ${says}`).toBeInstanceOf(Date);
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test(
      'streamLogs with follow delivers new lines and ends when the container exits',
      async (ctx) => {
        const command = ctx.sh('echo first; sleep 1; echo second');
        const { id } = await ctx.driver.createContainer(ctx.config({ command }));
        await ctx.driver.startContainer(id);
        try {
          const seen: string[] = [];
          const options = { follow: true, stderr: false };
          for await (const line of ctx.driver.streamLogs(id, options)) {
            seen.push(line.line);
          }
          expect(
            seen,
            `following yields the lines written before and after the call, then ends with the program: ${callText('streamLogs', id, options)} of a container running ${shown(command)}`,
          ).toEqual(['first', 'second']);
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      followNeeded,
    );

    test(
      'streamLogs with follow stops when the signal aborts',
      async (ctx) => {
        const command = ctx.sh('echo hello; sleep 600');
        const { id } = await ctx.driver.createContainer(ctx.config({ command }));
        await ctx.driver.startContainer(id);
        const controller = new AbortController();
        try {
          const seen: string[] = [];
          const reading = (async () => {
            try {
              for await (const line of ctx.driver.streamLogs(id, {
                follow: true,
                signal: controller.signal,
              })) {
                seen.push(line.line);
                controller.abort();
              }
            } catch (error) {
              if ((error as { name?: string }).name !== 'AbortError') throw error;
            }
          })();
          await reading;
          expect(
            seen,
            `following ends when the signal aborts, after the first line: streamLogs(${shown(id)}, { follow: true, signal }) of a container running ${shown(command)}`,
          ).toEqual(['hello']);
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      followNeeded,
    );
  },
};
