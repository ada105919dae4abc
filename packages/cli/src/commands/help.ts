import { didYouMean } from '../args/suggest.js';
import { UsageError } from '../errors/cli-errors.js';
import { ExitCode } from '../errors/exit-codes.js';
import { commandHelp, mainHelp } from '../output/help.js';
import { quoted } from '../output/sanitize.js';
import type { CommandHandler } from '../runtime/context.js';
import { CATALOG, findEntry } from './catalog.js';

export const helpCommand: CommandHandler = async (ctx) => {
  const [topic] = ctx.positionals;
  if (topic === undefined) {
    ctx.out.line(
      mainHelp(
        CATALOG.map((e) => e.spec),
        ctx.out.style,
      ),
    );
    return ExitCode.OK;
  }
  const entry = findEntry(topic);
  if (!entry) {
    const names = CATALOG.map((e) => e.spec.name);
    throw new UsageError(`no command ${quoted(topic)}.${didYouMean(topic, names)}`);
  }
  ctx.out.line(commandHelp(entry.spec, ctx.out.style));
  return ExitCode.OK;
};
