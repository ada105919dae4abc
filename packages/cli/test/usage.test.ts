import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { berth, oneLine } from './support/berth.js';
import { useLocalState } from './support/local.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const { local, session } = useLocalState();

describe('version and help', () => {
  it('version --json names the CLI, the contract, Node and the installed drivers', async () => {
    const result = await berth(['version', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      cli: manifest.version,
      core: { contract: 'berth.v1' },
      node: process.version,
    });
    const names = (report.drivers as { name: string; package: string; version: string }[]).map(
      (d) => d.name,
    );
    expect(names).toEqual(expect.arrayContaining(['local', 'docker']));
    for (const driver of report.drivers) expect(driver.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(result.stderr).toBe('');
  });

  it('version and --version print it as text', async () => {
    expect((await berth(['--version'])).stdout).toBe(`berth ${manifest.version}\n`);
    const text = await berth(['version']);
    expect(text.stdout).toContain(`berth ${manifest.version}`);
    expect(text.stdout).toMatch(/contract +berth\.v1/);
    expect(text.stdout).toContain(process.version);
  });

  it('--help lists every command and the exit codes; a command --help its flags', async () => {
    const main = await berth(['--help']);
    expect(main.code).toBe(0);
    for (const command of [
      'run',
      'ps',
      'logs',
      'exec',
      'stop',
      'rm',
      'cleanup',
      'doctor',
      'version',
    ]) {
      expect(main.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(main.stdout).toContain('125');
    const ps = await berth(['ps', '--help']);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toContain('--session ID');
    expect(ps.stdout).toContain('-a, --all');
    expect((await berth(['help', 'logs'])).stdout).toContain('-f, --follow');
    // Help needs none of the command's arguments.
    for (const command of ['exec', 'logs', 'run', 'stop']) {
      const help = await berth([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: berth ${command} `));
    }
    expect((await berth([])).stdout).toContain('Usage: berth');
  });
});

describe('usage errors', () => {
  it('an unknown command is exit 2, one line with the nearest command', async () => {
    const result = await berth(['sotp', 'x']);
    expect(result.code).toBe(2);
    expect(oneLine(result)).toMatch(
      /^berth: UsageError: unknown command 'sotp'\. Did you mean 'stop'\?/,
    );
    expect(result.stdout).toBe('');
  });

  it('an unknown flag suggests the nearest; a missing value or argument says what to type', async () => {
    const flag = await berth(['ps', '--sesion', 'x']);
    expect(flag.code).toBe(2);
    expect(oneLine(flag)).toContain(
      "unknown flag '--sesion' for 'berth ps'. Did you mean '--session'?",
    );
    const value = await berth(['logs', '--tail']);
    expect(value.code).toBe(2);
    expect(oneLine(value)).toContain('flag -n/--tail needs a value');
    const missing = await berth(['logs']);
    expect(missing.code).toBe(2);
    expect(oneLine(missing)).toContain("'berth logs' needs a container id or name");
    const extra = await berth(['version', 'extra']);
    expect(extra.code).toBe(2);
    expect(oneLine(extra)).toContain("takes no arguments, got 'extra'");
    const mode = await berth(['ps', '--enforcement', 'strikt']);
    expect(mode.code).toBe(2);
    expect(oneLine(mode)).toContain("Did you mean 'strict'?");
    const global = await berth(['--versoin']);
    expect(global.code).toBe(2);
    expect(oneLine(global)).toContain("Did you mean '--version'?");
  });

  it('run reports even a bad flag as 125, so it cannot pass for the container exit code 2', async () => {
    const result = await local(['run', '--memory', 'lots', 'host', '--', 'true']);
    expect(result.code).toBe(125);
    expect(oneLine(result)).toContain("--memory 'lots' is not a size");
  });

  it('cleanup needs a filter, and --all without a terminal needs --yes', async () => {
    const kept = await local(['run', '-d', '--session', session, 'host', '--', 'sleep', '60']);
    expect(kept.code).toBe(0);
    const none = await local(['cleanup']);
    expect(none.code).toBe(2);
    expect(oneLine(none)).toContain('--session ID, --tenant ID, or --all');
    const all = await local(['cleanup', '--all']);
    expect(all.code).toBe(2);
    expect(oneLine(all)).toContain('confirm with --yes');
    // Refused means refused: nothing was removed.
    const ps = await local(['ps', '-q', '--session', session]);
    expect(ps.stdout.trim()).toBe(kept.stdout.trim().slice(0, 12));
    const both = await local(['cleanup', '--all', '--session', session]);
    expect(both.code).toBe(2);
  });
});
