import { describe, expect, it } from 'vitest';
import { findCommand, parseCommandArgs } from '../src/args/parse.js';
import { nearest } from '../src/args/suggest.js';
import { memoryMb, portFlag, sinceDate } from '../src/args/values.js';
import { findEntry } from '../src/commands/catalog.js';
import { UsageError } from '../src/errors/cli-errors.js';

const spec = (name: string) => {
  const entry = findEntry(name);
  if (!entry) throw new Error(`no command ${name}`);
  return entry.spec;
};

describe('argument parsing', () => {
  it('finds the command past global flags and their values', () => {
    expect(findCommand(['--driver', 'local', '--json', 'ps', '-a'])).toEqual({
      name: 'ps',
      rest: ['--driver', 'local', '--json', '-a'],
    });
    expect(findCommand(['--state-dir=/x', 'logs', 'web'])).toEqual({
      name: 'logs',
      rest: ['--state-dir=/x', 'web'],
    });
    expect(findCommand(['--json'])).toEqual({ rest: ['--json'] });
  });

  it("exec and run: the command's own flags are not berth's, with or without --", () => {
    expect(
      parseCommandArgs(['-e', 'A=1', 'web', 'ls', '-la', '--json'], spec('exec')),
    ).toMatchObject({
      positionals: ['web'],
      commandLine: ['ls', '-la', '--json'],
      values: { env: ['A=1'] },
    });
    expect(parseCommandArgs(['web', '--', '-weird'], spec('exec')).commandLine).toEqual(['-weird']);
    const run = parseCommandArgs(
      ['-p', '8080:80', '--name', 'x', 'img', 'sh', '-c', 'echo -n'],
      spec('run'),
    );
    expect(run.positionals).toEqual(['img']);
    expect(run.commandLine).toEqual(['sh', '-c', 'echo -n']);
    expect(run.values).toMatchObject({ publish: ['8080:80'], name: 'x' });
    expect(parseCommandArgs(['-dp', '80', 'img'], spec('run')).values).toMatchObject({
      detach: true,
      publish: ['80'],
    });
    expect(parseCommandArgs(['img'], spec('run')).commandLine).toEqual([]);
  });

  it('refuses what is not a flag, a repeated single flag, a value on a switch, a missing command', () => {
    expect(() => parseCommandArgs(['--follw', 'x'], spec('logs'))).toThrow(
      /Did you mean '--follow'\?/,
    );
    expect(() => parseCommandArgs(['--name', 'a', '--name', 'b', 'img'], spec('run'))).toThrow(
      /given 2 times/,
    );
    expect(() => parseCommandArgs(['--rm=false', 'img'], spec('run'))).toThrow(
      /takes no value \(to turn it off: --no-rm\)/,
    );
    expect(() => parseCommandArgs(['web'], spec('exec'))).toThrow(UsageError);
    expect(() => parseCommandArgs(['a', 'b'], spec('logs'))).toThrow(/unexpected argument 'b'/);
  });
});

describe('flag values', () => {
  it('memory sizes in MB, with or without a unit', () => {
    expect(memoryMb('512', 'run')).toBe(512);
    expect(memoryMb('512m', 'run')).toBe(512);
    expect(memoryMb('1.5G', 'run')).toBe(1536);
    expect(memoryMb('2048k', 'run')).toBe(2);
    expect(memoryMb('1gb', 'run')).toBe(1024);
    for (const bad of ['', 'lots', '-1', '0', '1x', '12 34'])
      expect(() => memoryMb(bad, 'run')).toThrow(UsageError);
  });

  it('ports as [IP:][HOST:]CONTAINER[/PROTO]', () => {
    expect(portFlag('80', 'run')).toEqual({ container: 80, protocol: 'tcp' });
    expect(portFlag('8080:80', 'run')).toEqual({ container: 80, host: 8080, protocol: 'tcp' });
    expect(portFlag('0.0.0.0:53:53/udp', 'run')).toEqual({
      container: 53,
      host: 53,
      hostIp: '0.0.0.0',
      protocol: 'udp',
    });
    for (const bad of ['', 'x', '70000', '80/sctp', '1:2:3:4', ':80', '8080:']) {
      expect(() => portFlag(bad, 'run')).toThrow(UsageError);
    }
  });

  it('--since as a duration back, a date-time or Unix seconds', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(sinceDate('10m', now, 'logs').toISOString()).toBe('2025-01-01T11:50:00.000Z');
    expect(sinceDate('1h30m', now, 'logs').toISOString()).toBe('2025-01-01T10:30:00.000Z');
    expect(sinceDate('2024-05-01T00:00:00Z', now, 'logs').toISOString()).toBe(
      '2024-05-01T00:00:00.000Z',
    );
    expect(sinceDate('1714521600', now, 'logs').toISOString()).toBe('2024-05-01T00:00:00.000Z');
    for (const bad of ['yesterday', '10x', '2024-13-45'])
      expect(() => sinceDate(bad, now, 'logs')).toThrow(UsageError);
  });

  it('suggests only what is close', () => {
    expect(nearest('sotp', ['stop', 'ps', 'run'])).toBe('stop');
    expect(nearest('--sess', ['--session', '--status'])).toBe('--session');
    expect(nearest('frobnicate', ['stop', 'ps', 'run'])).toBeUndefined();
  });
});
