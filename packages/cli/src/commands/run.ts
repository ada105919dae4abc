import { randomBytes } from 'node:crypto';
import type { ContainerConfigInput, ContainerDriver, ResourceLimitsInput } from '@berth/core';
import { keyValues, memoryMb, portFlag, positiveNumber, wholeNumber } from '../args/values.js';
import { SHORT_ID } from '../driver/containers.js';
import { Interrupted, UsageError } from '../errors/cli-errors.js';
import { ExitCode, exitCodeFor } from '../errors/exit-codes.js';
import { describeError } from '../errors/report.js';
import type { CommandContext, CommandHandler } from '../runtime/context.js';

/** The container config the flags describe; a bad flag is a usage error (exit 2). */
function configFrom(ctx: CommandContext): ContainerConfigInput {
  const resources: ResourceLimitsInput = {};
  const memory = ctx.string('memory');
  if (memory !== undefined) resources.memory = memoryMb(memory, 'run');
  const cpu = ctx.string('cpu');
  if (cpu !== undefined) resources.cpu = positiveNumber(cpu, '--cpu', '0.5', 'run');
  const pids = ctx.string('pids');
  if (pids !== undefined) resources.pids = wholeNumber(pids, '--pids', 1, 'run');
  const name = ctx.string('name');
  const tenant = ctx.string('tenant');
  const workdir = ctx.string('workdir');
  const user = ctx.string('user');
  const ports = ctx.strings('publish').map((p) => portFlag(p, 'run'));
  return {
    // A session of its own, so `berth cleanup --session` finds whatever this run leaves.
    sessionId: ctx.string('session') ?? `cli-${randomBytes(4).toString('hex')}`,
    image: ctx.positionals[0] as string,
    ...(ctx.commandLine.length > 0 ? { command: ctx.commandLine } : {}),
    env: keyValues(ctx.strings('env'), '--env', 'run', ctx.env),
    labels: keyValues(ctx.strings('label'), '--label', 'run'),
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(ports.length > 0 ? { ports } : {}),
    ...(name === undefined ? {} : { name }),
    ...(tenant === undefined ? {} : { tenantId: tenant }),
    ...(workdir === undefined ? {} : { workingDir: workdir }),
    ...(user === undefined ? {} : { security: { user } }),
  };
}

/** A failure before the container ran: the interruption that caused it, or itself (exit 125). */
function beforeRun(error: unknown, signal: AbortSignal): unknown {
  return signal.aborted && signal.reason instanceof Interrupted ? signal.reason : error;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** The container's output, passed on as it is produced, until it stops or `stop` aborts. */
async function streamOutput(
  ctx: CommandContext,
  driver: ContainerDriver,
  id: string,
  stop: AbortSignal,
): Promise<void> {
  const { out } = ctx;
  try {
    for await (const line of driver.streamLogs(id, { follow: true, signal: stop })) {
      if (out.json)
        await out.record({ stream: line.stream, line: line.line, timestamp: line.timestamp });
      else await out.write(line.stream === 'stderr' ? out.stderr : out.stdout, `${line.line}\n`);
    }
  } catch (error) {
    // The run goes on (its exit code is what matters); the gap is reported, not hidden.
    const { name, message } = describeError(error);
    out.warn(`the output stream failed: ${name}: ${message}`);
  }
}

/** Removes the container, saying so (not failing the run) if that does not work. */
async function discard(ctx: CommandContext, driver: ContainerDriver, id: string): Promise<boolean> {
  try {
    await driver.removeContainer(id, { force: true, volumes: true });
    return true;
  } catch (error) {
    const { name, message } = describeError(error);
    ctx.out.warn(
      `could not remove container ${id.slice(0, SHORT_ID)}: ${name}: ${message} (berth rm -f ${id.slice(0, SHORT_ID)})`,
    );
    return false;
  }
}

export const runCommand: CommandHandler = async (ctx) => {
  const config = configFrom(ctx);
  const detach = ctx.flag('detach');
  if (ctx.flag('rm') && ctx.flag('no-rm'))
    throw new UsageError('--rm and --no-rm contradict each other', 'run');
  if (detach && ctx.flag('rm')) {
    throw new UsageError(
      '--detach keeps the container (remove it later with berth rm): drop --rm',
      'run',
    );
  }
  const remove = !detach && !ctx.flag('no-rm');
  const { signal, out } = ctx;

  let driver: ContainerDriver;
  let id: string;
  try {
    driver = await ctx.driver();
    id = (await driver.createContainer(config, { signal })).id;
  } catch (error) {
    throw beforeRun(error, signal);
  }
  try {
    await driver.startContainer(id, { signal });
  } catch (error) {
    if (remove || signal.aborted) await discard(ctx, driver, id);
    throw beforeRun(error, signal);
  }

  if (detach) {
    const instance = await driver.getContainer(id);
    if (out.json) out.document(instance);
    else out.line(id);
    return ExitCode.OK;
  }

  const stopLogs = new AbortController();
  const streaming = streamOutput(ctx, driver, id, stopLogs.signal);
  const outcome = await Promise.race([
    driver.waitContainer(id).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    ),
    aborted(signal).then(() => ({ interrupted: true as const })),
  ]);

  if ('interrupted' in outcome) {
    if (!out.json) {
      out.note(
        `berth: stopping ${id.slice(0, SHORT_ID)}${remove ? ' and removing it' : ''} (Ctrl-C again to leave it)`,
      );
    }
    stopLogs.abort();
    await driver.stopContainer(id, { timeout: 3 }).catch(() => undefined);
    if (remove) await discard(ctx, driver, id);
    return exitCodeFor(signal.reason);
  }

  // The follow ends when the container does; a driver slow to notice gets a moment, not forever.
  const grace = setTimeout(() => stopLogs.abort(), 5000);
  await streaming;
  clearTimeout(grace);
  const removed = remove ? await discard(ctx, driver, id) : false;
  if ('error' in outcome) throw outcome.error;
  const { exitCode, oomKilled } = outcome.result;
  if (oomKilled) out.warn('the container ran out of memory and was killed (raise --memory)');
  if (out.json) await out.record({ id, exitCode, oomKilled, removed });
  return exitCode;
};
