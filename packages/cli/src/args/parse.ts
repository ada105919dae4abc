import { parseArgs } from 'node:util';
import { UsageError } from '../errors/cli-errors.js';
import { quoted } from '../output/sanitize.js';
import { type CommandSpec, GLOBAL_OPTIONS, type OptionsSpec, type OptionValue } from './spec.js';
import { didYouMean } from './suggest.js';

export interface ParsedArgs {
  values: Record<string, OptionValue>;
  positionals: string[];
  /** The program and its arguments, for commands that run one. */
  commandLine: string[];
}

/** Whether `arg` names a flag that takes a value, so the next argument is that value. */
function takesValue(arg: string, options: OptionsSpec): boolean {
  if (arg.startsWith('--')) {
    if (arg.includes('=')) return false;
    return options[arg.slice(2)]?.type === 'string';
  }
  if (arg.startsWith('-') && arg.length >= 2) {
    // As parseArgs reads a group such as `-ip`: the first letter that takes a value takes
    // the rest of the group (`-p8080:80`), or the next argument when it is the last letter.
    for (let i = 1; i < arg.length; i++) {
      const spec = Object.values(options).find((o) => o.short === arg[i]);
      if (spec?.type === 'string') return i === arg.length - 1;
    }
  }
  return false;
}

/**
 * Finds the command: the first word that is not a global flag or a global flag's value.
 * What comes before it and after it is returned together, for the command's own parse.
 */
export function findCommand(argv: readonly string[]): { name?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg.startsWith('-') && arg !== '-') {
      if (takesValue(arg, GLOBAL_OPTIONS)) i++;
      continue;
    }
    return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: [...argv] };
}

/**
 * Splits off the command line of `exec` and `run`: at `--`, or at the first word after the
 * `leading` positionals (`berth exec web ls -la`: `-la` is ls's, not berth's).
 */
function splitCommandLine(
  args: readonly string[],
  options: OptionsSpec,
  leading: number,
): { head: string[]; tail: string[] } {
  let seen = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      // `berth exec -- web ls`: positionals not yet given come first after the `--`.
      const after = args.slice(i + 1);
      const missing = Math.max(0, leading - seen);
      return {
        head: [...args.slice(0, i), ...(missing > 0 ? ['--', ...after.slice(0, missing)] : [])],
        tail: after.slice(missing),
      };
    }
    if (arg.startsWith('-') && arg !== '-') {
      if (takesValue(arg, options)) i++;
      continue;
    }
    if (seen === leading) return { head: args.slice(0, i), tail: args.slice(i) };
    seen++;
  }
  return { head: [...args], tail: [] };
}

function optionName(spec: OptionsSpec, name: string): string {
  const short = spec[name]?.short;
  return short ? `-${short}/--${name}` : `--${name}`;
}

/**
 * Parses a command's arguments (global flags included) with node:util's parseArgs, then
 * checks every flag itself so that each mistake gets a message that says what to type.
 */
export function parseCommandArgs(args: readonly string[], command: CommandSpec): ParsedArgs {
  const options: OptionsSpec = { ...GLOBAL_OPTIONS, ...command.options };
  const { head, tail } = command.commandLine
    ? splitCommandLine(args, options, command.args.max)
    : { head: [...args], tail: [] };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: head,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}), multiple: o.multiple === true },
        ]),
      ),
      // Unknown flags are reported below, with the nearest known one.
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, command.name);
  }

  const longNames = Object.keys(options).map((n) => `--${n}`);
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) {
      throw new UsageError(
        `unknown flag ${quoted(token.rawName)} for 'berth ${command.name}'.${didYouMean(
          token.rawName.startsWith('--') ? token.rawName : `--${token.name}`,
          longNames,
        )}`,
        command.name,
      );
    }
    if (spec.type === 'string' && token.value === undefined) {
      throw new UsageError(
        `flag ${optionName(options, token.name)} needs a value: ${token.rawName} ${spec.value ?? 'VALUE'}`,
        command.name,
      );
    }
    if (spec.type === 'boolean' && token.inlineValue) {
      const negated = options[`no-${token.name}`] ? ` (to turn it off: --no-${token.name})` : '';
      throw new UsageError(
        `flag ${optionName(options, token.name)} takes no value${negated}`,
        command.name,
      );
    }
    if (spec.type === 'string' && !spec.multiple) {
      const again = (parsed.tokens ?? []).filter(
        (t) => t.kind === 'option' && t.name === token.name,
      );
      if (again.length > 1) {
        throw new UsageError(
          `flag ${optionName(options, token.name)} was given ${again.length} times; give it once`,
          command.name,
        );
      }
    }
  }

  const positionals = parsed.positionals;
  // `berth logs --help` shows the help; it needs no container.
  if (parsed.values.help === true)
    return { values: parsed.values as Record<string, OptionValue>, positionals, commandLine: tail };
  const { min, max, what } = command.args;
  if (positionals.length < min) {
    throw new UsageError(
      `'berth ${command.name}' needs ${what}: berth ${command.name} ${command.synopsis}`,
      command.name,
    );
  }
  if (positionals.length > max) {
    const extra = positionals[max] as string;
    throw new UsageError(
      max === 0
        ? `'berth ${command.name}' takes no arguments, got ${quoted(extra)}`
        : `unexpected argument ${quoted(extra)}: 'berth ${command.name}' takes ${what}`,
      command.name,
    );
  }
  if (command.commandLine === 'required' && tail.length === 0) {
    throw new UsageError(
      `'berth ${command.name}' needs a command to run: berth ${command.name} ${command.synopsis}`,
      command.name,
    );
  }
  return { values: parsed.values as Record<string, OptionValue>, positionals, commandLine: tail };
}
