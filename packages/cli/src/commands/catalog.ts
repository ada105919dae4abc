import type { CommandSpec } from '../args/spec.js';
import type { CommandHandler } from '../runtime/context.js';

/*
 * Every command's interface (flags, arguments, help) as plain data, apart from its code:
 * help, suggestions and argument errors need no command module loaded, and each module is
 * imported only when its command runs.
 */

export interface CatalogEntry {
  spec: CommandSpec;
  load(): Promise<CommandHandler>;
}

const ps: CommandSpec = {
  name: 'ps',
  summary: 'list containers',
  synopsis: '[--all] [--session ID] [--tenant ID] [--status S] [--label K=V]',
  args: { min: 0, max: 0, what: 'no arguments' },
  options: {
    all: { type: 'boolean', short: 'a', description: 'include containers that are not running' },
    session: { type: 'string', value: 'ID', description: 'only this session' },
    tenant: { type: 'string', value: 'ID', description: 'only this tenant' },
    status: {
      type: 'string',
      multiple: true,
      value: 'STATUS',
      description:
        'only these statuses (created, running, paused, exited, ...); repeat or comma-separate',
    },
    label: {
      type: 'string',
      multiple: true,
      value: 'K[=V]',
      description: 'only containers with this label (any value without =V); repeatable',
    },
    quiet: { type: 'boolean', short: 'q', description: 'print only ids' },
    'no-trunc': { type: 'boolean', description: 'print whole ids' },
  },
  examples: ['berth ps', 'berth ps --all --session ci-42', 'berth ps --json --label team=web'],
  notes: ['Without --all or --status, only running (and paused) containers are listed.'],
};

const logs: CommandSpec = {
  name: 'logs',
  summary: "print a container's output",
  synopsis: '[-f] [--tail N] [--since WHEN] [--timestamps] <container>',
  args: { min: 1, max: 1, what: 'a container id or name' },
  options: {
    follow: {
      type: 'boolean',
      short: 'f',
      description: 'keep printing new output until the container stops',
    },
    tail: {
      type: 'string',
      short: 'n',
      value: 'N',
      description: "only the last N lines ('all' for every line)",
    },
    since: {
      type: 'string',
      value: 'WHEN',
      description: 'only lines since a duration ago (10m, 1h30m), a date-time or Unix seconds',
    },
    timestamps: {
      type: 'boolean',
      short: 't',
      description: 'prefix each line with its time (ISO 8601)',
    },
  },
  examples: [
    'berth logs web',
    'berth logs -f --tail 20 web',
    'berth logs --since 10m --timestamps web',
  ],
  notes: [
    "The container's stdout goes to stdout and its stderr to stderr.",
    'With -f: exit 0 once the container stops, 130 on Ctrl-C.',
  ],
};

const exec: CommandSpec = {
  name: 'exec',
  summary: 'run a command in a running container',
  synopsis: '[-i] [-u USER] [-e K=V] [-w DIR] <container> [--] <command> [args...]',
  args: { min: 1, max: 1, what: 'a container id or name, then the command' },
  commandLine: 'required',
  options: {
    interactive: {
      type: 'boolean',
      short: 'i',
      description: "pass this terminal's stdin to the command",
    },
    user: {
      type: 'string',
      short: 'u',
      value: 'USER',
      description: 'run as this user (uid[:gid] or name)',
    },
    env: {
      type: 'string',
      short: 'e',
      multiple: true,
      value: 'K=V',
      description: 'set a variable (K alone: from here); repeatable',
    },
    workdir: {
      type: 'string',
      short: 'w',
      value: 'DIR',
      description: 'working directory inside the container',
    },
    timeout: { type: 'string', value: 'SECONDS', description: 'kill the command after this long' },
  },
  examples: [
    'berth exec web -- ls -la /',
    'echo hi | berth exec -i web -- cat',
    'berth exec -e DEBUG=1 web env',
  ],
  notes: [
    "Exits with the command's own exit code. Output streams as it is produced.",
    'Flags after the container belong to the command: berth exec web ls -la.',
  ],
};

const run: CommandSpec = {
  name: 'run',
  summary: 'create, start and follow a container; remove it when it ends',
  synopsis: '[options] <image> [--] [command] [args...]',
  args: { min: 1, max: 1, what: 'an image, then the command' },
  commandLine: 'optional',
  options: {
    name: { type: 'string', value: 'NAME', description: 'container name' },
    session: {
      type: 'string',
      value: 'ID',
      description: 'session to create it in (default cli-<random>)',
    },
    tenant: { type: 'string', value: 'ID', description: 'tenant it belongs to' },
    env: {
      type: 'string',
      short: 'e',
      multiple: true,
      value: 'K=V',
      description: 'set a variable (K alone: from here); repeatable',
    },
    label: {
      type: 'string',
      short: 'l',
      multiple: true,
      value: 'K=V',
      description: 'set a label; repeatable',
    },
    memory: {
      type: 'string',
      short: 'm',
      value: 'SIZE',
      description: 'memory limit (512m, 1g; plain numbers are MB)',
    },
    cpu: { type: 'string', value: 'CORES', description: 'CPU limit in cores (0.5 = half a core)' },
    pids: { type: 'string', value: 'N', description: 'most processes at once' },
    publish: {
      type: 'string',
      short: 'p',
      multiple: true,
      value: 'HOST:CONTAINER',
      description: 'publish a port ([IP:]HOST:CONTAINER[/udp]); repeatable',
    },
    user: {
      type: 'string',
      short: 'u',
      value: 'USER',
      description: 'run as this user (uid[:gid])',
    },
    workdir: {
      type: 'string',
      short: 'w',
      value: 'DIR',
      description: 'working directory inside the container',
    },
    detach: {
      type: 'boolean',
      short: 'd',
      description: 'start it, print its id and return (it is kept)',
    },
    rm: { type: 'boolean', description: 'remove it when it ends (the default)' },
    'no-rm': { type: 'boolean', description: 'keep it after it ends' },
  },
  examples: [
    'berth run --driver local host -- sh -c "echo hello; exit 7"',
    "berth run --driver docker -e GREETING=hi berth-test/busybox:latest -- sh -c 'echo $GREETING'",
    'berth run -d --name web --memory 256m berth-test/busybox:latest -- httpd -f',
  ],
  notes: [
    "Exits with the container's exit code; 125 for berth's own failures (a bad flag, no driver,",
    "a create or start that failed), so they are never mistaken for the container's; 130 on Ctrl-C,",
    'which stops the container (and removes it unless --no-rm).',
    "The local driver runs host programs: its image is only recorded (use e.g. 'host').",
  ],
};

const stop: CommandSpec = {
  name: 'stop',
  summary: 'stop running containers',
  synopsis: '[-t SECONDS] <container>...',
  args: { min: 1, max: Number.POSITIVE_INFINITY, what: 'one or more container ids or names' },
  options: {
    time: {
      type: 'string',
      short: 't',
      value: 'SECONDS',
      description: 'wait this long after SIGTERM before SIGKILL',
    },
  },
  examples: ['berth stop web', 'berth stop -t 2 web db'],
  notes: ["Every container is tried; the exit code is the first failure's."],
};

const rm: CommandSpec = {
  name: 'rm',
  summary: 'remove containers',
  synopsis: '[-f] [-v] <container>...',
  args: { min: 1, max: Number.POSITIVE_INFINITY, what: 'one or more container ids or names' },
  options: {
    force: { type: 'boolean', short: 'f', description: 'remove running ones too (killed first)' },
    volumes: { type: 'boolean', short: 'v', description: 'also remove their anonymous volumes' },
  },
  examples: ['berth rm web', 'berth rm -f $(berth ps -q --session ci-42)'],
  notes: ["Every container is tried; the exit code is the first failure's."],
};

const cleanup: CommandSpec = {
  name: 'cleanup',
  summary: "remove a session's (or tenant's, or every) container, volume and network",
  synopsis: '(--session ID [--tenant ID] | --tenant ID | --all [--yes])',
  args: { min: 0, max: 0, what: 'no arguments' },
  options: {
    session: { type: 'string', value: 'ID', description: "remove this session's objects" },
    tenant: {
      type: 'string',
      value: 'ID',
      description: "remove this tenant's objects (within the session, with --session)",
    },
    all: { type: 'boolean', description: 'remove everything the driver made' },
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'do not ask before --all (needed without a terminal)',
    },
  },
  examples: [
    'berth cleanup --session ci-42',
    'berth cleanup --tenant acme --json',
    'berth cleanup --all --yes',
  ],
  notes: [
    'Objects an earlier, killed process made are found too. Already-gone objects are not errors.',
    '--all asks first on a terminal; elsewhere it needs --yes (else exit 2).',
  ],
};

const doctor: CommandSpec = {
  name: 'doctor',
  summary: 'check what each installed driver can enforce here, and how to fix what it cannot',
  synopsis: '',
  args: { min: 0, max: 0, what: 'no arguments' },
  options: {},
  examples: ['berth doctor', 'berth doctor --driver local --json'],
  notes: ['Exits 4 when no driver is usable (with --driver: when that one is not).'],
};

const version: CommandSpec = {
  name: 'version',
  summary: 'print the versions of berth, the contract, Node and the installed drivers',
  synopsis: '',
  args: { min: 0, max: 0, what: 'no arguments' },
  options: {},
  examples: ['berth version', 'berth version --json'],
};

const help: CommandSpec = {
  name: 'help',
  summary: 'show help for berth or a command',
  synopsis: '[command]',
  args: { min: 0, max: 1, what: 'a command name' },
  options: {},
  examples: ['berth help run'],
};

export const CATALOG: readonly CatalogEntry[] = [
  { spec: run, load: async () => (await import('./run.js')).runCommand },
  { spec: ps, load: async () => (await import('./ps.js')).psCommand },
  { spec: logs, load: async () => (await import('./logs.js')).logsCommand },
  { spec: exec, load: async () => (await import('./exec.js')).execCommand },
  { spec: stop, load: async () => (await import('./stop-rm.js')).stopCommand },
  { spec: rm, load: async () => (await import('./stop-rm.js')).rmCommand },
  { spec: cleanup, load: async () => (await import('./cleanup.js')).cleanupCommand },
  { spec: doctor, load: async () => (await import('./doctor/doctor.js')).doctorCommand },
  { spec: version, load: async () => (await import('./version.js')).versionCommand },
  { spec: help, load: async () => (await import('./help.js')).helpCommand },
];

export function findEntry(name: string): CatalogEntry | undefined {
  return CATALOG.find((entry) => entry.spec.name === name);
}
