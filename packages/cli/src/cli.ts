import { findCommand, parseCommandArgs } from './args/parse.js';
import { GLOBAL_OPTIONS, type GlobalOptions, type OptionValue } from './args/spec.js';
import { didYouMean } from './args/suggest.js';
import { oneOf } from './args/values.js';
import { CATALOG, findEntry } from './commands/catalog.js';
import { cliManifest } from './driver/packages.js';
import { ExitWith, Interrupted, UsageError } from './errors/cli-errors.js';
import { ExitCode } from './errors/exit-codes.js';
import { hintFor, reportError } from './errors/report.js';
import { commandHelp, mainHelp } from './output/help.js';
import { Output, type OutputStream } from './output/output.js';
import { quoted } from './output/sanitize.js';
import { makeStyle, wantsColor } from './output/style.js';
import { CommandContext, type InputStream } from './runtime/context.js';

/** Where the CLI reads and writes; each defaults to the process's own. */
export interface CliIo {
  stdout?: OutputStream;
  stderr?: OutputStream;
  stdin?: InputStream;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * Abort it (with `new Interrupted('SIGINT')` for exit code 130) to interrupt the command
   * as Ctrl-C does: `run` then stops and removes its container.
   */
  signal?: AbortSignal;
}

/**
 * Flags that shape the output, looked for before parsing so that even a parse error honours
 * them; replaced by the parsed ones once parsing succeeds.
 */
function earlyFlags(argv: readonly string[]): { json: boolean; debug: boolean; noColor: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  return {
    json: head.includes('--json'),
    debug: head.includes('--debug'),
    noColor: head.includes('--no-color'),
  };
}

function globalsFrom(values: Record<string, OptionValue>, command: string): GlobalOptions {
  const text = (name: string) =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined;
  const driver = text('driver');
  if (driver !== undefined && driver.trim() === '') {
    throw new UsageError("--driver needs a driver name, such as 'local' or 'docker'", command);
  }
  const stateDir = text('state-dir');
  if (stateDir !== undefined && (stateDir === '' || stateDir.includes('\0'))) {
    throw new UsageError(`--state-dir ${quoted(stateDir)} is not a directory path`, command);
  }
  const enforcement = text('enforcement');
  return {
    ...(driver === undefined ? {} : { driver: driver.trim() }),
    ...(stateDir === undefined ? {} : { stateDir }),
    ...(enforcement === undefined
      ? {}
      : {
          enforcement: oneOf(
            enforcement,
            ['strict', 'best-effort'] as const,
            '--enforcement',
            command,
          ),
        }),
    json: values.json === true,
    debug: values.debug === true,
    noColor: values['no-color'] === true,
    help: values.help === true,
  };
}

/** `berth` with no command: `--version`, `--help`, nothing, or a flag that is not one. */
function withoutCommand(rest: readonly string[], out: Output): number {
  const known = new Set([...Object.keys(GLOBAL_OPTIONS).map((n) => `--${n}`), '-h', '--version']);
  for (const arg of rest) {
    if (arg === '--') break;
    const flag = arg.split('=')[0] as string;
    if (!known.has(flag)) {
      throw new UsageError(`unknown flag ${quoted(arg)}.${didYouMean(flag, known)}`);
    }
  }
  if (rest.includes('--version')) {
    out.line(`berth ${cliManifest().version}`);
    return ExitCode.OK;
  }
  out.line(
    mainHelp(
      CATALOG.map((e) => e.spec),
      out.style,
    ),
  );
  return ExitCode.OK;
}

/**
 * Runs the berth command line: `await runCli(['ps', '--json'])` prints what `berth ps --json`
 * prints and resolves to its exit code. Never throws and never exits the process: every
 * failure is printed (one line on stderr) and becomes the exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const early = earlyFlags(argv);
  // One signal for everything that should end the command early, each with its reason.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(io.signal?.reason ?? new Interrupted('SIGINT'));
  if (io.signal?.aborted) onOuterAbort();
  io.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // A reader that went away (`berth logs -f | head -1`) ends the command, as SIGPIPE would.
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (error?.code === 'EPIPE') controller.abort(new Interrupted('SIGPIPE'));
  };
  const emitter = stdout as Partial<NodeJS.EventEmitter>;
  emitter.on?.('error', onStdoutError);
  const styles = (noColorFlag: boolean) => ({
    out: makeStyle(wantsColor({ isTTY: stdout.isTTY, env, noColorFlag })),
    err: makeStyle(wantsColor({ isTTY: stderr.isTTY, env, noColorFlag })),
  });
  const first = styles(early.noColor);
  const out = new Output(stdout, stderr, first.out, first.err, early.json, controller.signal);
  let debug = early.debug;

  let ctx: CommandContext | undefined;
  let commandName: string | undefined;
  try {
    const { name, rest } = findCommand(argv);
    commandName = name;
    if (name === undefined) return withoutCommand(rest, out);
    const entry = findEntry(name);
    if (!entry) {
      throw new UsageError(
        `unknown command ${quoted(name)}.${didYouMean(
          name,
          CATALOG.map((e) => e.spec.name),
        )} Commands: ${CATALOG.map((e) => e.spec.name).join(', ')}.`,
      );
    }
    const parsed = parseCommandArgs(rest, entry.spec);
    const globals = globalsFrom(parsed.values, name);
    // The raw guess counted `--json` anywhere; in `exec web cmd --json` it is cmd's flag.
    const parsedStyles = styles(globals.noColor);
    out.json = globals.json;
    out.style = parsedStyles.out;
    out.errStyle = parsedStyles.err;
    debug = globals.debug;
    if (globals.help) {
      out.line(commandHelp(entry.spec, out.style));
      return ExitCode.OK;
    }
    const handler = await entry.load();
    ctx = new CommandContext(
      name,
      globals,
      parsed.values,
      parsed.positionals,
      parsed.commandLine,
      out,
      env,
      io.cwd ?? process.cwd(),
      () => io.stdin ?? (process.stdin as unknown as InputStream),
      controller.signal,
    );
    return await handler(ctx);
  } catch (error) {
    // A failure caused by the interruption is the interruption.
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    let failure = reason instanceof Interrupted ? reason : error;
    // `run` exits with its container's code, so its own failures (a bad flag as much as an
    // engine down) get one code no program is likely to use, 125, as with `docker run`.
    if (
      commandName === 'run' &&
      !(failure instanceof Interrupted) &&
      !(failure instanceof ExitWith)
    ) {
      failure = new ExitWith(ExitCode.RUN_FAILED, failure);
    }
    return reportError(failure, out, debug, hintFor(failure, ctx?.driverName));
  } finally {
    await ctx?.close();
    io.signal?.removeEventListener('abort', onOuterAbort);
    emitter.off?.('error', onStdoutError);
  }
}
