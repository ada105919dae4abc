import type { ContainerDriver } from '@berth/core';
import { wholeNumber } from '../args/values.js';
import { findContainer } from '../driver/containers.js';
import { Interrupted } from '../errors/cli-errors.js';
import { ExitCode, exitCodeFor } from '../errors/exit-codes.js';
import { describeError, hintFor, reportError } from '../errors/report.js';
import type { CommandContext, CommandHandler } from '../runtime/context.js';

interface Outcome {
  ref: string;
  id?: string;
  ok: boolean;
  error?: ReturnType<typeof describeError> & { exitCode: number };
}

/**
 * Does `action` to each named container in turn. One that fails does not stop the others
 * (as `docker rm a b c` goes on past a missing `b`); the exit code is the first failure's.
 */
async function eachContainer(
  ctx: CommandContext,
  action: (driver: ContainerDriver, id: string) => Promise<void>,
): Promise<number> {
  const { out, signal } = ctx;
  const driver = await ctx.driver();
  const outcomes: Outcome[] = [];
  let exitCode: number = ExitCode.OK;
  for (const ref of ctx.positionals) {
    try {
      const { id } = await findContainer(driver, ref, signal);
      await action(driver, id);
      outcomes.push({ ref, id, ok: true });
      if (!out.json) out.line(ref);
    } catch (error) {
      if (signal.aborted && signal.reason instanceof Interrupted) throw signal.reason;
      const code = exitCodeFor(error);
      if (exitCode === ExitCode.OK) exitCode = code;
      outcomes.push({ ref, ok: false, error: { ...describeError(error), exitCode: code } });
      if (!out.json) reportError(error, out, ctx.globals.debug, hintFor(error, ctx.driverName));
    }
  }
  if (out.json) out.document(outcomes);
  return exitCode;
}

export const stopCommand: CommandHandler = (ctx) => {
  const time = ctx.string('time');
  const timeout = time === undefined ? undefined : wholeNumber(time, '--time', 0, 'stop');
  return eachContainer(ctx, (driver, id) =>
    driver.stopContainer(id, { signal: ctx.signal, ...(timeout === undefined ? {} : { timeout }) }),
  );
};

export const rmCommand: CommandHandler = (ctx) =>
  eachContainer(ctx, (driver, id) =>
    driver.removeContainer(id, {
      signal: ctx.signal,
      force: ctx.flag('force'),
      volumes: ctx.flag('volumes'),
    }),
  );
