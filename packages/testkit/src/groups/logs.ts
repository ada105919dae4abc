import type { DriverCapabilities, LogLine } from '@berth/core';
import { expect } from 'vitest';
import type { GroupDefinition } from '../conformance.js';

const followNeeded = (caps: DriverCapabilities) =>
  caps.logsFollow ? undefined : 'the driver reports logsFollow: false';

export const logsGroup: GroupDefinition = {
  name: 'logs',
  define(test) {
    test('keeps stdout and stderr apart, with tail, since and timestamps', async (ctx) => {
      const { id } = await ctx.driver.createContainer(
        ctx.config({ command: ctx.sh('echo out1; echo err1 >&2; echo out2; echo err2 >&2') }),
      );
      await ctx.driver.startContainer(id);
      await ctx.driver.waitContainer(id);
      try {
        expect(await ctx.driver.getContainerLogs(id, { stderr: false })).toBe('out1\nout2\n');
        expect(await ctx.driver.getContainerLogs(id, { stdout: false })).toBe('err1\nerr2\n');
        const both = await ctx.driver.getContainerLogs(id);
        for (const line of ['out1', 'out2', 'err1', 'err2']) expect(both).toContain(`${line}\n`);
        expect(await ctx.driver.getContainerLogs(id, { stderr: false, tail: 1 })).toBe('out2\n');
        expect(await ctx.driver.getContainerLogs(id, { since: Date.now() + 60_000 })).toBe('');
        expect(await ctx.driver.getContainerLogs(id, { stderr: false, since: new Date(0) })).toBe(
          'out1\nout2\n',
        );
        const stamped = await ctx.driver.getContainerLogs(id, { timestamps: true, stderr: false });
        const lines = stamped.trimEnd().split('\n');
        expect(lines).toHaveLength(2);
        for (const line of lines) {
          const [stamp, ...rest] = line.split(' ');
          expect(Number.isNaN(Date.parse(stamp ?? ''))).toBe(false);
          expect(rest.join(' ')).toMatch(/^out[12]$/);
        }
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test('streamLogs yields typed lines per stream', async (ctx) => {
      const { id } = await ctx.driver.createContainer(
        ctx.config({ command: ctx.sh('echo a; echo b >&2') }),
      );
      await ctx.driver.startContainer(id);
      await ctx.driver.waitContainer(id);
      try {
        const lines: LogLine[] = [];
        for await (const line of ctx.driver.streamLogs(id)) lines.push(line);
        expect(lines.map((l) => [l.stream, l.line]).sort()).toEqual([
          ['stderr', 'b'],
          ['stdout', 'a'],
        ]);
        for (const line of lines) expect(line.timestamp).toBeInstanceOf(Date);
      } finally {
        await ctx.driver.removeContainer(id, { force: true });
      }
    });

    test(
      'streamLogs with follow delivers new lines and ends when the container exits',
      async (ctx) => {
        const { id } = await ctx.driver.createContainer(
          ctx.config({ command: ctx.sh('echo first; sleep 1; echo second') }),
        );
        await ctx.driver.startContainer(id);
        try {
          const seen: string[] = [];
          for await (const line of ctx.driver.streamLogs(id, { follow: true, stderr: false })) {
            seen.push(line.line);
          }
          expect(seen).toEqual(['first', 'second']);
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      followNeeded,
    );

    test(
      'streamLogs with follow stops when the signal aborts',
      async (ctx) => {
        const { id } = await ctx.driver.createContainer(
          ctx.config({ command: ctx.sh('echo hello; sleep 600') }),
        );
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
          expect(seen).toEqual(['hello']);
        } finally {
          await ctx.driver.removeContainer(id, { force: true });
        }
      },
      followNeeded,
    );
  },
};
