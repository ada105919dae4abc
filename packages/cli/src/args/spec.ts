/** One flag a command takes: its type, its short letter and what its help says. */
export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  /** Repeatable: every occurrence is kept, in order. */
  multiple?: boolean;
  /** The placeholder help shows for the value (`NAME`, `K=V`). */
  value?: string;
  description: string;
}

export type OptionsSpec = Readonly<Record<string, OptionSpec>>;

/** What a flag's value comes back as once parsed. */
export type OptionValue = string | boolean | string[] | undefined;

/**
 * Flags every command takes, wherever they appear before `--`: a user types
 * `berth ps --json` as often as `berth --json ps`.
 */
export const GLOBAL_OPTIONS = {
  driver: {
    type: 'string',
    value: 'NAME',
    description:
      'driver to use (docker, local, or a driver package); default BERTH_DRIVER, else detected',
  },
  'state-dir': {
    type: 'string',
    value: 'DIR',
    description:
      "driver state directory (local: its containers; docker: lifetime records); default BERTH_STATE_DIR, else the driver's own",
  },
  enforcement: {
    type: 'string',
    value: 'MODE',
    description:
      "'strict' (default) refuses what the host cannot enforce; 'best-effort' runs it and says what was not",
  },
  json: {
    type: 'boolean',
    description: 'machine-readable output on stdout (errors too, on stderr)',
  },
  debug: { type: 'boolean', description: 'print stack traces of errors' },
  'no-color': { type: 'boolean', description: 'never colour output (also NO_COLOR=1)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const satisfies OptionsSpec;

export interface GlobalOptions {
  driver?: string;
  stateDir?: string;
  enforcement?: 'strict' | 'best-effort';
  json: boolean;
  debug: boolean;
  noColor: boolean;
  help: boolean;
}

/** A command as the parser and the help see it; its code is loaded only when it runs. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** What follows `berth <name> [options]` in the usage line: `<container>...`. */
  synopsis: string;
  options: OptionsSpec;
  /** How many positional arguments it takes (before its command line, if it has one). */
  args: { min: number; max: number; what: string };
  /**
   * Takes a command line after its positionals (`exec`, `run`): option parsing stops at
   * `--` or at the first word after the positionals, so the command's own flags are its own.
   */
  commandLine?: 'required' | 'optional';
  examples: readonly string[];
  /** Extra help paragraphs: defaults, exit codes particular to the command. */
  notes?: readonly string[];
}
