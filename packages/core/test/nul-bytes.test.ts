import { describe, expect, it } from 'vitest';
import {
  ContainerFilterSchema,
  containerConfigIssues,
  NetworkConfigSchema,
  parseContainerConfig,
  parseExecCommand,
  parseExecOptions,
  parseInput,
  parseSecurityOptions,
  VolumeConfigSchema,
  validateContainerConfig,
} from '../src/index.js';
import { configurationError, issuesAt } from './fixtures/configuration-error.js';

const NUL = '\0';
const valid = { sessionId: 's1', image: 'busybox' };

type Path = (string | number)[];

/** Asserts `fn` fails with exactly one NUL issue at `path`, a message that says how to fix it. */
function expectNulIssue(fn: () => unknown, path: Path, stages = ['security']): void {
  const error = configurationError(fn);
  const found = issuesAt(error, path);
  expect(found, JSON.stringify(error.issues)).toHaveLength(1);
  expect(stages).toContain(found[0]?.stage);
  expect(found[0]?.message).toMatch(/contains a NUL byte/);
  expect(found[0]?.message).toMatch(/remove it/);
  // The message is safe to log and print: the NUL itself is spelled out, never embedded.
  expect(error.message).not.toContain(NUL);
  expect(error.message).toContain('\\0');
}

const containerCases: [string, Record<string, unknown>, Path][] = [
  ['sessionId', { sessionId: `s${NUL}1` }, ['sessionId']],
  ['tenantId', { tenantId: `tenant${NUL}` }, ['tenantId']],
  ['image', { image: `busybox${NUL}:latest` }, ['image']],
  ['name', { name: `web${NUL}` }, ['name']],
  ['workingDir', { workingDir: `/app${NUL}/x` }, ['workingDir']],
  ['command[]', { command: ['sh', '-c', `echo hi${NUL}; rm -rf /`] }, ['command', 2]],
  ['entrypoint[]', { entrypoint: [`/bin/sh${NUL}`] }, ['entrypoint', 0]],
  ['env value', { env: { FOO: `bar${NUL}baz` } }, ['env', 'FOO']],
  ['env name', { env: { [`FOO${NUL}`]: 'bar' } }, ['env', `FOO${NUL}`]],
  ['label value', { labels: { app: `x${NUL}` } }, ['labels', 'app']],
  ['label key', { labels: { [`a${NUL}pp`]: 'x' } }, ['labels', `a${NUL}pp`]],
  [
    'volume source',
    { volumes: [{ source: `data${NUL}`, target: '/data' }] },
    ['volumes', 0, 'source'],
  ],
  [
    'bind source',
    { volumes: [{ source: `/srv${NUL}/x`, target: '/data', type: 'bind' }] },
    ['volumes', 0, 'source'],
  ],
  [
    'volume target',
    { volumes: [{ source: 'data', target: `/data${NUL}` }] },
    ['volumes', 0, 'target'],
  ],
  ['network', { network: `net${NUL}` }, ['network']],
  ['security.user', { security: { user: `65534${NUL}:65534` } }, ['security', 'user']],
  [
    'capability to drop',
    { security: { capabilities: { drop: [`ALL${NUL}`] } } },
    ['security', 'capabilities', 'drop', 0],
  ],
  [
    'capability to add',
    { security: { capabilities: { add: [`NET_BIND_SERVICE${NUL}`] } } },
    ['security', 'capabilities', 'add', 0],
  ],
  [
    'healthcheck command[]',
    { healthcheck: { command: ['test', `-f${NUL}`, '/tmp/ok'] } },
    ['healthcheck', 'command', 1],
  ],
  [
    'port hostIp',
    { ports: [{ container: 80, hostIp: `127.0.0.1${NUL}` }] },
    ['ports', 0, 'hostIp'],
  ],
];

describe('NUL bytes in a container config', () => {
  it.each(containerCases)('%s: a ConfigurationError at its path', (_field, extra, path) => {
    expectNulIssue(() => parseContainerConfig({ ...valid, ...extra }), path);
    expect(validateContainerConfig({ ...valid, ...extra })).toBe(false);
    expect(containerConfigIssues({ ...valid, ...extra }).config).toBeUndefined();
  });

  it('names the env variable and says why NUL cannot be passed', () => {
    const error = configurationError(() =>
      parseContainerConfig({ ...valid, env: { FOO: `a${NUL}b` } }),
    );
    expect(issuesAt(error, ['env', 'FOO'])[0]?.message).toBe(
      "env value of 'FOO' contains a NUL byte (\\0); NUL cannot be passed to a process or the engine (it ends the string there, so what runs would differ from what was checked): remove it",
    );
  });

  it('reports one issue for a field, not also the pattern it then fails', () => {
    const error = configurationError(() =>
      parseContainerConfig({
        ...valid,
        name: `web${NUL}`,
        env: { [`FOO${NUL}`]: 'x' },
        security: { user: `root${NUL}`, capabilities: { drop: [`ALL${NUL}`] } },
      }),
    );
    expect(error.issues).toHaveLength(4);
    expect(error.issues.every((issue) => /NUL byte/.test(issue.message))).toBe(true);
  });

  it('is reported together with every other problem, in stage order', () => {
    const error = configurationError(() =>
      parseContainerConfig({
        sessionId: 's1',
        image: '',
        command: ['ok', 5, `x${NUL}`],
        resources: { cpu: -1 },
        env: { FOO: `x${NUL}` },
        labels: { 'berth.session': 'other' },
      }),
    );
    expect(error.issues.map((i) => [i.stage, i.path.join('.')])).toEqual([
      ['schema', 'image'],
      ['schema', 'command.1'],
      ['resources', 'resources.cpu'],
      ['security', 'command.2'],
      ['security', 'env.FOO'],
      ['security', 'labels.berth.session'],
    ]);
    expect(error.message).toContain('6 problems');
  });

  it('checks the security block on its own too', () => {
    expectNulIssue(() => parseSecurityOptions({ user: `1000${NUL}` }), ['user']);
  });

  it('survives inputs the schema refuses: cycles, deep nesting, odd objects', () => {
    const cyclic: Record<string, unknown> = { a: `x${NUL}` };
    cyclic.self = cyclic;
    let deep: unknown = `x${NUL}`;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const { issues } = containerConfigIssues({
      ...valid,
      labels: cyclic,
      env: { DEEP: deep as string },
      command: [new Date(), new Uint8Array(1_000_000)],
    });
    expect(issues.some((issue) => issue.stage === 'schema')).toBe(true);
    expect(issuesAt({ issues }, ['labels', 'a'])).toHaveLength(1);
  });
});

describe('what is checked is what is returned', () => {
  /** A value that reads `first` once, then `later`: what a hostile getter or proxy can do. */
  function changing(first: string, later: string): { get: () => string; enumerable: true } {
    let reads = 0;
    return { get: () => (reads++ === 0 ? first : later), enumerable: true };
  }

  it('a config whose field reads clean only after the first read is still refused', () => {
    const input = Object.defineProperty({ ...valid }, 'image', changing(`x${NUL}`, 'busybox'));
    expectNulIssue(() => parseContainerConfig(input), ['image']);
  });

  it('exec options and command: the checked copies', () => {
    const env = Object.defineProperty({}, 'FOO', changing(`x${NUL}`, 'clean'));
    expectNulIssue(() => parseExecOptions({ env }), ['env', 'FOO']);
    const command = ['sh'];
    Object.defineProperty(command, 1, changing(`x${NUL}`, 'clean'));
    expectNulIssue(() => parseExecCommand(command), [1]);
  });
});

describe('NUL bytes in exec', () => {
  it.each<[string, Record<string, unknown>, Path]>([
    ['env value', { env: { FOO: `a${NUL}` } }, ['env', 'FOO']],
    ['env name', { env: { [`F${NUL}OO`]: 'a' } }, ['env', `F${NUL}OO`]],
    ['cwd', { cwd: `/tmp${NUL}` }, ['cwd']],
    ['user', { user: `4242${NUL}` }, ['user']],
  ])('exec option %s', (_field, options, path) => {
    expectNulIssue(() => parseExecOptions(options), path);
  });

  it('exec command: each argument', () => {
    expectNulIssue(() => parseExecCommand(['sh', '-c', `echo${NUL}`]), [2]);
    expectNulIssue(() => parseExecCommand([`/bin/sh${NUL}`]), [0]);
  });
});

describe('NUL bytes in volume, network and filter input (parseInput)', () => {
  const configs: [string, typeof VolumeConfigSchema | typeof NetworkConfigSchema][] = [
    ['volume', VolumeConfigSchema],
    ['network', NetworkConfigSchema],
  ];
  for (const [what, schema] of configs) {
    it.each<[string, Record<string, unknown>, Path]>([
      ['name', { name: `n${NUL}` }, ['name']],
      ['sessionId', { name: 'n', sessionId: `s${NUL}` }, ['sessionId']],
      ['tenantId', { name: 'n', tenantId: `t${NUL}` }, ['tenantId']],
      ['label value', { name: 'n', labels: { app: `x${NUL}` } }, ['labels', 'app']],
      ['label key', { name: 'n', labels: { [`a${NUL}`]: 'x' } }, ['labels', `a${NUL}`]],
    ])(`${what} %s`, (_field, input, path) => {
      expectNulIssue(() => parseInput(schema, input, `${what} configuration`), path);
    });
  }

  it.each<[string, Record<string, unknown>, Path]>([
    ['sessionId', { sessionId: `s${NUL}` }, ['sessionId']],
    ['tenantId', { tenantId: `t${NUL}` }, ['tenantId']],
    ['label value', { label: { app: `x${NUL}` } }, ['label', 'app']],
    ['label key', { label: { [`a${NUL}`]: true } }, ['label', `a${NUL}`]],
  ])('container filter %s', (_field, filter, path) => {
    expectNulIssue(() => parseInput(ContainerFilterSchema, filter, 'container filter'), path);
  });

  it('still passes clean input through, defaults filled', () => {
    expect(parseInput(VolumeConfigSchema, { name: 'v' }, 'volume').labels).toEqual({});
    expect(parseInput(ContainerFilterSchema, { label: { a: true } }, 'filter')).toEqual({
      label: { a: true },
    });
  });
});
