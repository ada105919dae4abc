import { type ContainerProcess, type ExecCallOptions, UnsupportedFeatureError } from '@berth/core';
import { keyValues, wholeNumber } from '../args/values.js';
import { findContainer } from '../driver/containers.js';
import { UsageError } from '../errors/cli-errors.js';
import { exitCodeFor } from '../errors/exit-codes.js';
import type { CommandContext, CommandHandler, InputStream } from '../runtime/context.js';

function execOptions(ctx: CommandContext): ExecCallOptions {
  const options: ExecCallOptions = {};
  const env = keyValues(ctx.strings('env'), '--env', 'exec', ctx.env);
  if (Object.keys(env).length > 0) options.env = env;
  const user = ctx.string('user');
  if (user !== undefined) options.user = user;
  const workdir = ctx.string('workdir');
  if (workdir !== undefined) options.cwd = workdir;
  const timeout = ctx.string('timeout');
  if (timeout !== undefined) options.timeout = wholeNumber(timeout, '--timeout', 1, 'exec') * 1000;
  return options;
}

/**
 * Passes stdin to the process chunk by chunk, pausing the input while a write is in flight
 * (backpressure), and closes the process's stdin at end of input. `stop` lets go of the
 * input without closing it: a caller's stream is the caller's.
 */
function feedStdin(stdin: InputStream, proc: ContainerProcess): () => void {
  let chain: Promise<unknown> = Promise.resolve();
  const onData = (chunk: Uint8Array | string) => {
    stdin.pause();
    chain = chain.then(
      () => proc.write(chunk).then(() => stdin.resume()),
      () => undefined,
    );
  };
  const onEnd = () => {
    chain = chain.then(() => proc.closeStdin()).catch(() => undefined);
    stop();
  };
  const stop = () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.off('error', onEnd);
    stdin.pause();
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.on('error', onEnd);
  stdin.resume();
  return stop;
}

/** Streams a spawned process's output as it comes, feeds it stdin, and returns its exit code. */
async function attachProcess(
  ctx: CommandContext,
  proc: ContainerProcess,
  interactive: boolean,
): Promise<number> {
  const { out, signal } = ctx;
  const stop = interactive ? feedStdin(ctx.stdin(), proc) : undefined;
  let killer: ReturnType<typeof setTimeout> | undefined;
  // Ctrl-C ends the command in the container too (docker would leave it running unseen):
  // SIGTERM, then SIGKILL if it does not go.
  const onAbort = () => {
    void proc.kill('SIGTERM').catch(() => undefined);
    killer = setTimeout(() => void proc.kill('SIGKILL').catch(() => undefined), 2000);
    killer.unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const { stream, data } of proc.output()) {
      await out.write(stream === 'stderr' ? out.stderr : out.stdout, data);
    }
    const exit = await proc.wait();
    if (signal.aborted) return exitCodeFor(signal.reason);
    if (exit.timedOut) out.warn('the command ran past --timeout and was killed');
    if (exit.truncated.stdout || exit.truncated.stderr) {
      out.warn("output beyond the driver's limit was dropped");
    }
    return exit.exitCode;
  } finally {
    stop?.();
    clearTimeout(killer);
    signal.removeEventListener('abort', onAbort);
  }
}

export const execCommand: CommandHandler = async (ctx) => {
  const options = execOptions(ctx);
  const interactive = ctx.flag('interactive');
  if (interactive && ctx.out.json) {
    throw new UsageError(
      '--json collects the output into one document, so it cannot pass stdin along: drop -i or --json',
      'exec',
    );
  }
  const driver = await ctx.driver();
  const container = await findContainer(driver, ctx.positionals[0] as string, ctx.signal);
  const command = ctx.commandLine;

  if (!ctx.out.json) {
    try {
      const proc = await driver.spawn(container.id, command, {
        ...options,
        stdin: interactive,
        signal: ctx.signal,
      });
      return await attachProcess(ctx, proc, interactive);
    } catch (error) {
      // A driver that cannot stream processes still runs them buffered, unless stdin is needed.
      if (!UnsupportedFeatureError.isInstance(error) || interactive) throw error;
    }
  }
  const result = await driver.exec(container.id, command, { ...options, signal: ctx.signal });
  if (ctx.out.json) {
    ctx.out.document({ id: container.id, command, ...result });
  } else {
    await ctx.out.write(ctx.out.stdout, result.stdout);
    await ctx.out.write(ctx.out.stderr, result.stderr);
  }
  return result.exitCode;
};
