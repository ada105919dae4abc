import { type CommandSpec, GLOBAL_OPTIONS, type OptionsSpec } from '../args/spec.js';
import type { Style } from './style.js';

const VERSION_FLAG: OptionsSpec = {
  version: { type: 'boolean', description: 'print the version and exit (berth --version)' },
};

function flagLines(options: OptionsSpec): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

const EXIT_CODES = [
  '  0    ok',
  '  1    the operation failed (a driver error)',
  '  2    usage error: unknown command or flag, bad value, input the driver refused',
  '  3    not found (container, volume, network)',
  '  4    no usable driver, or its engine cannot be reached',
  "  125  run: berth's own failure (bad flag, no driver, create or start failed)",
  '  130  interrupted (Ctrl-C); 143 on SIGTERM; 141 when the reader of stdout went away',
  "  run and exec exit with the container's (command's) own code",
];

/** `berth --help`. */
export function mainHelp(commands: readonly CommandSpec[], style: Style): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `${style.bold('Usage:')} berth [global flags] <command> [flags] [arguments]`,
    '',
    'Run and manage containers on any Berth driver: Docker, local sandboxed processes, or your own.',
    '',
    style.bold('Commands:'),
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    style.bold('Global flags:'),
    ...flagLines({ ...GLOBAL_OPTIONS, ...VERSION_FLAG }),
    '',
    style.bold('Exit codes:'),
    ...EXIT_CODES,
    '',
    "Run 'berth <command> --help' for a command's flags and examples.",
  ].join('\n');
}

/** `berth <command> --help`. */
export function commandHelp(spec: CommandSpec, style: Style): string {
  const own = Object.keys(spec.options).length > 0;
  return [
    `${style.bold('Usage:')} berth ${spec.name}${own ? ' [flags]' : ''}${spec.synopsis ? ` ${spec.synopsis}` : ''}`,
    '',
    `${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`,
    ...(spec.notes && spec.notes.length > 0 ? ['', ...spec.notes] : []),
    ...(own ? ['', style.bold('Flags:'), ...flagLines(spec.options)] : []),
    '',
    style.bold('Global flags:'),
    ...flagLines(GLOBAL_OPTIONS),
    '',
    style.bold('Examples:'),
    ...spec.examples.map((e) => `  ${e}`),
  ].join('\n');
}
