import { createInterface } from 'node:readline/promises';
import type {
  CleanupFilter,
  ContainerDriver,
  ContainerFilter,
  ContainerInstance,
} from '@berth/core';
import { UsageError } from '../errors/cli-errors.js';
import { ExitCode } from '../errors/exit-codes.js';
import { Progress } from '../output/progress.js';
import type { CommandContext, CommandHandler } from '../runtime/context.js';

/** Containers removed at once: enough to hide each removal's latency, few enough for a laptop. */
const PARALLEL = 4;

function filters(ctx: CommandContext): { cleanup: CleanupFilter; list: ContainerFilter } {
  const sessionId = ctx.string('session');
  const tenantId = ctx.string('tenant');
  if (ctx.flag('all')) {
    if (sessionId !== undefined || tenantId !== undefined) {
      throw new UsageError(
        '--all removes everything: give it without --session or --tenant',
        'cleanup',
      );
    }
    return { cleanup: { all: true }, list: {} };
  }
  if (sessionId !== undefined) {
    const scope = tenantId === undefined ? { sessionId } : { sessionId, tenantId };
    return { cleanup: scope, list: scope };
  }
  if (tenantId !== undefined) return { cleanup: { tenantId }, list: { tenantId } };
  throw new UsageError(
    'say what to remove: --session ID, --tenant ID, or --all (an empty filter is refused, never taken to mean everything)',
    'cleanup',
  );
}

/** Asks on the terminal; anything but y or yes is no. */
async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const prompt = createInterface({
    input: ctx.stdin() as unknown as NodeJS.ReadableStream,
    output: ctx.out.stderr as unknown as NodeJS.WritableStream,
    // Cooked mode: Ctrl-C stays a signal, which the CLI handles like everywhere else.
    terminal: false,
  });
  try {
    ctx.out.stderr.write(question);
    const answer = await prompt.question('', { signal: ctx.signal });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
    ctx.stdin().pause();
  }
}

/**
 * Removes the containers one by one (a few at a time), so that progress can be shown; the
 * driver's own cleanup then takes the volumes and networks, and anything made meanwhile.
 */
async function removeContainers(
  driver: ContainerDriver,
  containers: readonly ContainerInstance[],
  progress: Progress,
  signal: AbortSignal,
): Promise<number> {
  let next = 0;
  let done = 0;
  let removed = 0;
  const worker = async () => {
    while (next < containers.length) {
      const container = containers[next++] as ContainerInstance;
      try {
        await driver.removeContainer(container.id, { force: true, volumes: true, signal });
        removed++;
      } catch (error) {
        // Gone already is what was wanted; anything else the driver's cleanup, which comes
        // next, tries again and reports if it fails too.
        if (signal.aborted) throw error;
      }
      done++;
      progress.update(`removing containers ${done}/${containers.length}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, containers.length) }, worker));
  return removed;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const cleanupCommand: CommandHandler = async (ctx) => {
  const { cleanup, list } = filters(ctx);
  const all = 'all' in cleanup;
  const { out, signal } = ctx;
  const askable = ctx.stdin().isTTY === true && out.stderr.isTTY === true;
  if (all && !ctx.flag('yes') && !askable) {
    throw new UsageError(
      'cleanup --all removes every container, volume and network the driver made: confirm with --yes (there is no terminal to ask on)',
      'cleanup',
    );
  }
  const driver = await ctx.driver();
  const containers = await driver.listContainers(list, { signal });
  if (all && !ctx.flag('yes')) {
    const ok = await confirm(
      ctx,
      `Remove every container (${containers.length} now), volume and network the '${driver.name}' driver made? [y/N] `,
    );
    if (!ok) {
      out.note('berth: nothing removed');
      return ExitCode.FAILURE;
    }
  }

  const progress = new Progress(out.stderr, out.stderr.isTTY === true && !out.json);
  progress.update(`removing containers 0/${containers.length}`, true);
  let result: { containers: number; volumes: number; networks: number };
  try {
    const removed = await removeContainers(driver, containers, progress, signal);
    progress.update('removing volumes and networks', true);
    const rest = await driver.cleanup(cleanup, { signal });
    result = { ...rest, containers: removed + rest.containers };
  } finally {
    progress.done();
  }

  if (out.json) {
    out.document({ driver: driver.name, filter: cleanup, removed: result });
  } else {
    out.line(
      `removed ${plural(result.containers, 'container')}, ${plural(result.volumes, 'volume')}, ${plural(result.networks, 'network')}`,
    );
  }
  return ExitCode.OK;
};
