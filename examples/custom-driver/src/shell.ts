import { abortableSleep } from '@berth/core/kit';

/*
 * What a container of this driver can run: a handful of builtins, and `sh -c` scripts made of
 * them. It is the subset the conformance suite's scripts use (see ConformanceOptions.shell), so
 * the suite can drive containers that are only objects in memory.
 */

/** Where a program runs: its environment, directory, output and the signal that stops it. */
export interface ProgramIO {
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Aborting it is the program's SIGTERM: a running `sleep` rejects with the reason. */
  signal: AbortSignal;
  out(text: string): void;
  err(text: string): void;
}

type Builtin = (args: string[], io: ProgramIO) => number | Promise<number>;

const BUILTINS = new Map<string, Builtin>(
  Object.entries({
    echo: (args, io) => {
      io.out(`${args.join(' ')}\n`);
      return 0;
    },
    true: () => 0,
    false: () => 1,
    pwd: (_args, io) => {
      io.out(`${io.cwd}\n`);
      return 0;
    },
    sleep: async (args, io) => {
      const seconds = Number(args[0]);
      if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0) {
        io.err(`sleep: invalid time interval '${args.join(' ')}'\n`);
        return 1;
      }
      await abortableSleep(seconds * 1000, io.signal);
      return 0;
    },
    sh: (args, io) => {
      const [flag, script, ...positional] = args;
      if (flag !== '-c' || script === undefined) {
        io.err('sh: only `sh -c SCRIPT [NAME [ARG...]]` is supported\n');
        return 2;
      }
      return runScript(script, positional, io);
    },
  } satisfies Record<string, Builtin>),
);

/** Runs argv as a program: no shell, so `;`, `$HOME` and `>&2` are plain words here. */
export async function runProgram(argv: readonly string[], io: ProgramIO): Promise<number> {
  const [program, ...args] = argv;
  if (program === undefined) return 0;
  // A Map, not an object: a program named `constructor` must not find Object's.
  const builtin = BUILTINS.get(program.slice(program.lastIndexOf('/') + 1));
  if (!builtin) {
    io.err(`${program}: not found (this driver runs only ${[...BUILTINS.keys()].join(', ')})\n`);
    return 127;
  }
  return builtin(args, io);
}

interface Statement {
  words: string[];
  /** `>&2`: the statement's standard output goes to standard error. */
  toStderr: boolean;
}

class ShellSyntaxError extends Error {}

async function runScript(script: string, positional: string[], io: ProgramIO): Promise<number> {
  let statements: Statement[];
  try {
    // $0 is the script's name, then its arguments: `sh -c 'echo $1' name one` prints `one`.
    const vars = { ...io.env, ...Object.fromEntries(positional.map((v, i) => [String(i), v])) };
    statements = parse(script, vars);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    io.err(`sh: ${error.message}\n`);
    return 2;
  }
  let status = 0;
  for (const { words, toStderr } of statements) {
    const [command, ...args] = words;
    if (command === undefined) continue;
    if (command === 'exit') {
      if (args[0] === undefined) return status;
      if (/^[0-9]+$/.test(args[0])) return Number(args[0]) & 255;
      io.err(`sh: exit: illegal number: ${args[0]}\n`);
      return 2;
    }
    const target = toStderr ? { ...io, out: io.err } : io;
    status = await runProgram(words, target);
  }
  return status;
}

/**
 * Splits a script into statements of words, expanding `$NAME`, `${NAME}` and `$1` as it goes
 * (not inside single quotes). Anything beyond that subset is a syntax error rather than a
 * guess, so a script this shell cannot run fails loudly, with exit code 2 as in sh.
 */
function parse(script: string, vars: Readonly<Record<string, string>>): Statement[] {
  const statements: Statement[] = [];
  let current: Statement = { words: [], toStderr: false };
  let word = '';
  // A word that was quoted stays a word when empty (`echo ''`); an unquoted empty one goes.
  let quoted = false;
  const endWord = () => {
    if (word !== '' || quoted) current.words.push(word);
    word = '';
    quoted = false;
  };
  const endStatement = () => {
    endWord();
    statements.push(current);
    current = { words: [], toStderr: false };
  };
  let i = 0;
  const expand = (): string => {
    const braced = script[i + 1] === '{';
    const match = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(script.slice(i + (braced ? 2 : 1)));
    if (!match || (braced && script[i + 2 + match[0].length] !== '}')) {
      throw new ShellSyntaxError(`unsupported use of '$' at offset ${i}`);
    }
    i += match[0].length + (braced ? 3 : 1);
    return vars[match[0]] ?? '';
  };
  while (i < script.length) {
    const c = script[i] as string;
    if (c === ';' || c === '\n') {
      endStatement();
      i++;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === "'") {
      const close = script.indexOf("'", i + 1);
      if (close < 0) throw new ShellSyntaxError('unterminated quote');
      word += script.slice(i + 1, close);
      quoted = true;
      i = close + 1;
    } else if (c === '"') {
      quoted = true;
      i++;
      while (script[i] !== '"') {
        if (i >= script.length) throw new ShellSyntaxError('unterminated double quote');
        if (script[i] === '$') word += expand();
        else word += script[i++];
      }
      i++;
    } else if (c === '$') {
      word += expand();
    } else if (script.startsWith('>&2', i)) {
      endWord();
      current.toStderr = true;
      i += 3;
    } else if ('|&<>()`\\'.includes(c)) {
      throw new ShellSyntaxError(`'${c}' is not supported by this shell`);
    } else {
      word += c;
      i++;
    }
  }
  endStatement();
  return statements;
}
