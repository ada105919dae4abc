import type { ContainerConfig, ContainerSignal, ExecResult } from '@berth/core';

/**
 * What a mock container does, declared instead of run. Give it per image or per command in the
 * driver's `programs` option; otherwise the container's command is interpreted (see below).
 */
export interface MockProgram {
  /** Lines printed to stdout at start, in order. */
  stdout?: string[];
  /** Lines printed to stderr at start (after stdout). */
  stderr?: string[];
  /** How long it keeps running after printing before it exits (needs `exitCode`). */
  runMs?: number;
  /** Exit code; leave unset for a program that runs until stopped. */
  exitCode?: number;
  /** Successive health probe results while running; the last one repeats. Default: healthy. */
  health?: boolean[];
  /** Exec results by command (argv joined with single spaces). */
  exec?: Record<string, Partial<ExecResult>>;
  /** Memory it uses, in MB. More than its limit gets it OOM-killed (exit 137) at start. */
  memoryMb?: number;
  /** CPU it uses, as percent of one core; capped at the container's cpu limit. */
  cpuPercent?: number;
  /** What it writes to its own filesystem, in MB; reported as `diskBytes` while it runs. */
  diskMb?: number;
  /** Processes it tries to run; capped at the pids limit. */
  pids?: number;
  /**
   * Signals it handles, with the lines it prints on each (to stdout) instead of ending. Any
   * other signal but SIGWINCH ends it with 128 + the signal's number.
   */
  traps?: Partial<Record<ContainerSignal, string[]>>;
  /** How long it takes to exit after SIGTERM. */
  stopGraceMs?: number;
}

export interface MockPrograms {
  images?: Record<string, MockProgram>;
  commands?: Record<string, MockProgram>;
}

export type ProgramSource = MockPrograms | ((config: ContainerConfig) => MockProgram | undefined);

export type Step =
  | { kind: 'out'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'sleep'; ms: number }
  | { kind: 'exit'; code: number }
  /** `cat` with no file: copies stdin to stdout until end-of-file (none without stdin). */
  | { kind: 'cat' };

/** A program reduced to steps; no final `exit` step means it runs until stopped. */
export interface Plan {
  steps: Step[];
  program: MockProgram;
  /** The executable that does not exist: creating works, starting fails (as with Docker). */
  notFound?: string;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash']);

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class CommandNotFound extends Error {
  constructor(readonly command: string) {
    super(`exec: "${command}": executable file not found in $PATH`);
  }
}

/** Tokens of one shell statement, with `$VAR` expanded outside single quotes. */
function tokenize(statement: string, env: Record<string, string>): string[] {
  const tokens: string[] = [];
  let current = '';
  let started = false;
  let quote: "'" | '"' | null = null;
  const expand = (text: string) =>
    text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => env[a ?? b] ?? '');
  let chunk = '';
  const flushChunk = (expandIt: boolean) => {
    current += expandIt ? expand(chunk) : chunk;
    chunk = '';
  };
  for (const char of statement) {
    if (quote) {
      if (char === quote) {
        flushChunk(quote === '"');
        quote = null;
      } else chunk += char;
    } else if (char === "'" || char === '"') {
      flushChunk(true);
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      flushChunk(true);
      if (started || current) tokens.push(current);
      current = '';
      started = false;
    } else {
      chunk += char;
      started = true;
    }
  }
  flushChunk(quote !== "'");
  if (started || current) tokens.push(current);
  return tokens;
}

interface ScriptContext {
  env: Record<string, string>;
  cwd: string;
  steps: Step[];
  status: number;
  exited: boolean;
  /** `trap 'echo …' SIG` statements: the lines each signal prints instead of ending it. */
  traps: Partial<Record<ContainerSignal, string[]>>;
}

/** The lines a trap action prints: its `echo`s, the only commands a trap may run here. */
function trapLines(action: string, env: Record<string, string>): string[] {
  return action
    .split(/[;\n]/)
    .map((part) => tokenize(part.trim(), env))
    .filter((argv) => argv[0] === 'echo')
    .map((argv) => argv.slice(argv[1] === '-n' ? 2 : 1).join(' '));
}

/**
 * Runs one simple command of the supported vocabulary; returns false when it is unknown.
 * Redirections mean something only inside a shell script; in a plain argv they are arguments.
 */
function runCommand(argv: string[], ctx: ScriptContext, inShell: boolean): boolean {
  let stream: 'stdout' | 'stderr' = 'stdout';
  const args = inShell
    ? argv.filter((arg) => {
        if (arg === '>&2' || arg === '1>&2') {
          stream = 'stderr';
          return false;
        }
        return arg !== '2>&1';
      })
    : argv;
  const [name, ...rest] = args;
  switch (name === undefined ? '' : basename(name)) {
    case '':
      return true;
    case 'echo': {
      const noNewline = rest[0] === '-n';
      const text = (noNewline ? rest.slice(1) : rest).join(' ');
      ctx.steps.push({ kind: 'out', stream, text });
      ctx.status = 0;
      return true;
    }
    case 'cat':
      if (rest.length > 0) return false;
      ctx.steps.push({ kind: 'cat' });
      ctx.status = 0;
      return true;
    case 'pwd':
      ctx.steps.push({ kind: 'out', stream, text: ctx.cwd });
      ctx.status = 0;
      return true;
    case 'sleep': {
      const seconds = Number(rest[0] ?? 0);
      ctx.steps.push({ kind: 'sleep', ms: Number.isFinite(seconds) ? seconds * 1000 : 0 });
      ctx.status = 0;
      return true;
    }
    case 'true':
      ctx.status = 0;
      return true;
    case 'false':
      ctx.status = 1;
      return true;
    case 'exit':
      ctx.status = Number(rest[0] ?? ctx.status) & 0xff;
      ctx.exited = true;
      return true;
    case 'trap': {
      const [action = '', ...names] = rest;
      for (const name of names) {
        const signal = (name.startsWith('SIG') ? name : `SIG${name}`) as ContainerSignal;
        ctx.traps[signal] = trapLines(action, ctx.env);
      }
      ctx.status = 0;
      return true;
    }
    // Background jobs run in line and `wait` has nothing left to wait for: `sleep 600 & wait`
    // behaves as a real shell's does, a wait a trapped signal interrupts.
    case 'wait':
      ctx.status = 0;
      return true;
    default:
      return false;
  }
}

/**
 * A tiny POSIX-shell subset, enough for test scripts: statements joined by `;`, newlines or
 * `&&`; `echo` (with `-n`, quotes, `$VAR` and `>&2`), `sleep N`, `exit N`, `true`, `false`,
 * `pwd`, `cat` (stdin to stdout), `trap 'echo …' SIG…` and `wait` (a trailing `&` runs the command in line). Any other command in a script prints `sh: X: not found` and sets status 127.
 */
function interpretScript(
  script: string,
  env: Record<string, string>,
  cwd: string,
  traps: ScriptContext['traps'] = {},
): Step[] {
  const ctx: ScriptContext = { env, cwd, steps: [], status: 0, exited: false, traps };
  for (const line of script.split(/[;\n]/)) {
    const parts = line.replace(/&\s*$/, '').split('&&');
    for (const part of parts) {
      const argv = tokenize(part.trim(), env);
      if (argv.length === 0) continue;
      if (!runCommand(argv, ctx, true)) {
        ctx.steps.push({ kind: 'out', stream: 'stderr', text: `sh: ${argv[0]}: not found` });
        ctx.status = 127;
      }
      if (ctx.exited || ctx.status !== 0) break;
    }
    if (ctx.exited) break;
  }
  ctx.steps.push({ kind: 'exit', code: ctx.status });
  return ctx.steps;
}

/** Steps for an argv: a shell `-c` script, or a single command of the vocabulary. */
export function interpretCommand(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  traps: ScriptContext['traps'] = {},
): Step[] {
  const [first, second, script] = argv;
  if (first !== undefined && SHELLS.has(basename(first)) && second === '-c') {
    return interpretScript(script ?? '', env, cwd, traps);
  }
  const ctx: ScriptContext = { env, cwd, steps: [], status: 0, exited: false, traps };
  if (!runCommand(argv, ctx, false)) throw new CommandNotFound(first ?? '');
  ctx.steps.push({ kind: 'exit', code: ctx.status });
  return ctx.steps;
}

function programSteps(program: MockProgram): Step[] {
  const steps: Step[] = [
    ...(program.stdout ?? []).map((text) => ({
      kind: 'out' as const,
      stream: 'stdout' as const,
      text,
    })),
    ...(program.stderr ?? []).map((text) => ({
      kind: 'out' as const,
      stream: 'stderr' as const,
      text,
    })),
  ];
  if (program.exitCode !== undefined) {
    if (program.runMs) steps.push({ kind: 'sleep', ms: program.runMs });
    steps.push({ kind: 'exit', code: program.exitCode });
  }
  return steps;
}

/** The plan for a container: declared program first (by command, then image), else interpreted. */
export function planFor(config: ContainerConfig, source: ProgramSource | undefined): Plan {
  const argv = [...(config.entrypoint ?? []), ...(config.command ?? [])];
  const declared =
    typeof source === 'function'
      ? source(config)
      : (source?.commands?.[argv.join(' ')] ?? source?.images?.[config.image]);
  if (declared) return { steps: programSteps(declared), program: declared };
  // No declared program: runs until stopped, prints nothing, healthy.
  if (argv.length === 0) return { steps: [], program: {} };
  try {
    const traps: ScriptContext['traps'] = {};
    const steps = interpretCommand(argv, config.env, config.workingDir ?? '/', traps);
    return { steps, program: Object.keys(traps).length > 0 ? { traps } : {} };
  } catch (error) {
    if (error instanceof CommandNotFound)
      return { steps: [], program: {}, notFound: error.command };
    throw error;
  }
}
