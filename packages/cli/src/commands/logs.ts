import type { StreamLogsOptions } from '@berth/core';
import { sinceDate, wholeNumber } from '../args/values.js';
import { findContainer } from '../driver/containers.js';
import { Interrupted } from '../errors/cli-errors.js';
import { ExitCode, exitCodeFor } from '../errors/exit-codes.js';
import type { CommandContext, CommandHandler } from '../runtime/context.js';

function logOptions(ctx: CommandContext): StreamLogsOptions {
  const options: StreamLogsOptions = { follow: ctx.flag('follow'), signal: ctx.signal };
  const tail = ctx.string('tail');
  if (tail !== undefined && tail !== 'all') options.tail = wholeNumber(tail, '--tail', 0, 'logs');
  const since = ctx.string('since');
  if (since !== undefined) options.since = sinceDate(since, Date.now(), 'logs');
  return options;
}

export const logsCommand: CommandHandler = async (ctx) => {
  const options = logOptions(ctx);
  const driver = await ctx.driver();
  const container = await findContainer(driver, ctx.positionals[0] as string, ctx.signal);
  const { out } = ctx;
  const timestamps = ctx.flag('timestamps');
  // Lines are passed on as they come, at the pace stdout takes them: a follow of a chatty
  // container never piles up in memory.
  for await (const line of driver.streamLogs(container.id, options)) {
    if (out.json) {
      await out.record({ stream: line.stream, line: line.line, timestamp: line.timestamp });
      continue;
    }
    const text = `${timestamps ? `${line.timestamp.toISOString()} ` : ''}${line.line}\n`;
    await out.write(line.stream === 'stderr' ? out.stderr : out.stdout, text);
  }
  // Aborting ends a follow without an error: the exit code says it was Ctrl-C.
  if (ctx.signal.aborted && ctx.signal.reason instanceof Interrupted) {
    return exitCodeFor(ctx.signal.reason);
  }
  return ExitCode.OK;
};
