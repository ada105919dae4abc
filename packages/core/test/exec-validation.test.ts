import { describe, expect, it } from 'vitest';
import {
  NetworkConfigSchema,
  parseExecCommand,
  parseExecOptions,
  parseInput,
  VolumeConfigSchema,
} from '../src/index.js';
import { configurationError, issuesAt } from './fixtures/configuration-error.js';

describe('parseExecCommand', () => {
  it('returns a copy of a valid argument array', () => {
    const command = ['sh', '-c', 'echo hi', ''];
    const parsed = parseExecCommand(command);
    expect(parsed).toEqual(command);
    // A copy: changing the caller's array after the check cannot change what runs.
    expect(parsed).not.toBe(command);
  });

  it.each<[string, unknown, (string | number)[]]>([
    ['undefined', undefined, []],
    ['a string (never a shell line)', 'echo hi', []],
    ['an empty array', [], []],
    ['a non-string argument', ['echo', 5], [1]],
    ['an empty program', ['', 'x'], [0]],
  ])('refuses %s', (_what, command, path) => {
    const error = configurationError(() => parseExecCommand(command));
    expect(issuesAt(error, path)).toHaveLength(1);
    expect(error.message).toMatch(/exec command/);
  });

  it('says how to write a command', () => {
    const error = configurationError(() => parseExecCommand([]));
    expect(error.issues[0]).toMatchObject({ stage: 'schema', path: [] });
    expect(error.issues[0]?.message).toMatch(/\['sh', '-c', 'echo hi'\]/);
  });
});

describe('parseExecOptions', () => {
  it.each(['A=B', '1ABC', 'WITH SPACE', 'dash-ed', ''])(
    "refuses env name '%s' like a container env name",
    (name) => {
      const error = configurationError(() => parseExecOptions({ env: { [name]: 'x' } }));
      const found = issuesAt(error, ['env', name]);
      expect(found).toHaveLength(1);
      expect(found[0]?.stage).toBe('security');
    },
  );

  it('an env name with = would otherwise set another variable', () => {
    const error = configurationError(() => parseExecOptions({ env: { 'PATH=/evil:': 'x' } }));
    expect(error.issues[0]?.message).toMatch(/not a valid environment variable name/);
  });

  it('refuses a malformed user, as the container config does', () => {
    for (const user of ['a:b:c', '   ', '-1']) {
      const error = configurationError(() => parseExecOptions({ user }));
      expect(error.issues.map((i) => i.path.join('.'))).toContain('user');
    }
  });

  it('reports every problem at once', () => {
    const error = configurationError(() =>
      parseExecOptions({ env: { 'A=B': 'x', OK: 'y\0' }, user: '0', timeout: -1 }),
    );
    expect(error.issues.map((i) => [i.stage, i.path.join('.')])).toEqual([
      ['schema', 'timeout'],
      ['security', 'env.OK'],
      ['security', 'env.A=B'],
      ['security', 'user'],
    ]);
  });

  it('passes valid options through, the signal aside', () => {
    const signal = new AbortController().signal;
    expect(
      parseExecOptions({ env: { GREETING: 'hi' }, cwd: '/tmp', user: '4242', timeout: 5, signal }),
    ).toEqual({ env: { GREETING: 'hi' }, cwd: '/tmp', user: '4242', timeout: 5 });
  });
});

describe('reserved labels on volumes and networks', () => {
  it.each([
    ['volume', VolumeConfigSchema],
    ['network', NetworkConfigSchema],
  ] as const)('a %s cannot claim berth.* labels (another session or tenant)', (what, schema) => {
    for (const key of ['berth.session', 'berth.tenant', 'berth.managed']) {
      const error = configurationError(() =>
        parseInput(schema, { name: 'n', labels: { [key]: 'victim' } }, what),
      );
      expect(issuesAt(error, ['labels', key])[0]).toMatchObject({ stage: 'security' });
      expect(error.issues[0]?.message).toMatch(/reserved for the driver/);
    }
    expect(parseInput(schema, { name: 'n', labels: { app: 'x' } }, what).labels).toEqual({
      app: 'x',
    });
  });
});
