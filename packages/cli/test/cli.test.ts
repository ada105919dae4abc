import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, berth, oneLine, type RunOptions, start, tempDir } from './support/berth.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// Commands that need a driver get the local one on a state directory of their own.
let state: Awaited<ReturnType<typeof tempDir>>;
const local = (args: string[], options: RunOptions = {}) =>
  berth(['--driver', 'local', ...args], {
    ...options,
    env: { BERTH_STATE_DIR: state.path, ...options.env },
  });
const session = `cli-test-basics-${process.pid}`;

beforeAll(async () => {
  state = await tempDir();
});

afterAll(async () => {
  await local(['cleanup', '--all', '--yes']);
  await state.remove();
});

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

describe('driver errors', () => {
  it('not found is exit 3, one line with the typed error and its code, no stack', async () => {
    const result = await local(['logs', 'no-such-box']);
    expect(result.code).toBe(3);
    const line = oneLine(result);
    expect(line).toMatch(
      /^berth: ContainerNotFoundError: Container not found: no-such-box\..*\(code CONTAINER_NOT_FOUND\)$/,
    );
    expect(line).toContain('berth ps --all');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--debug adds the stack', async () => {
    const result = await local(['logs', 'no-such-box', '--debug']);
    expect(result.code).toBe(3);
    expect(result.stderr.split('\n')[0]).toMatch(/^berth: ContainerNotFoundError: /);
    expect(result.stderr).toMatch(/\n\s+at .+/);
  });

  it('--json errors are one JSON line on stderr', async () => {
    const result = await local(['rm', '--json', 'no-such-box']);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ ref: 'no-such-box', ok: false }),
    ]);
    const logs = await local(['logs', '--json', 'no-such-box']);
    expect(JSON.parse(oneLine(logs))).toEqual({
      error: expect.objectContaining({
        name: 'ContainerNotFoundError',
        code: 'CONTAINER_NOT_FOUND',
        exitCode: 3,
      }),
    });
  });

  it('a driver that is not installed is exit 4; an unknown one exit 2 with the nearest', async () => {
    const mock = await berth(['ps', '--driver', 'mock-docker']);
    expect(mock.code).toBe(4);
    expect(oneLine(mock)).toMatch(/^berth: DriverUnavailableError: .*@berth\/driver-mock/);
    const typo = await berth(['ps', '--driver', 'lcoal']);
    expect(typo.code).toBe(2);
    expect(oneLine(typo)).toContain("did you mean 'local'?");
    const env = await berth(['ps'], { env: { BERTH_DRIVER: 'lcoal' } });
    expect(env.code).toBe(2);
    expect(oneLine(env)).toContain("BERTH_DRIVER='lcoal'");
  });

  it('an engine that cannot be reached is exit 4 (and 125 for run), pointing at doctor', async () => {
    const env = { DOCKER_HOST: `unix://${state.path}/no-engine.sock` };
    const ps = await berth(['ps', '--driver', 'docker'], { env });
    expect(ps.code).toBe(4);
    expect(oneLine(ps)).toMatch(/^berth: NetworkError: .*berth doctor/);
    const run = await berth(['run', '--driver', 'docker', 'img', '--', 'true'], { env });
    expect(run.code).toBe(125);
    const doctor = await berth(['doctor', '--driver', 'docker', '--json'], { env });
    expect(doctor.code).toBe(4);
    const report = JSON.parse(doctor.stdout);
    expect(report.usable).toBe(false);
    expect(report.drivers[0]).toMatchObject({ name: 'docker', status: 'unusable' });
    expect(report.drivers[0].fix).toContain('DOCKER_HOST');
  });
});

describe('hostile input', () => {
  it('ids with newlines or escape codes, and huge ones, are one escaped line, exit 2', async () => {
    for (const id of ['a\nb', 'x\x1b]0;owned\x07', 'z'.repeat(100_000), '../../etc/passwd']) {
      const result = await local(['stop', id]);
      expect(result.code).toBe(2);
      const line = oneLine(result);
      expect(line).toMatch(/^berth: ConfigurationError: '.*' is not a container id or name/);
      expect(line.length).toBeLessThan(400);
      expect(result.stderr).not.toContain('\x1b');
    }
  });

  it('a name with a newline is refused by the driver as one line; an env value with one is passed as is', async () => {
    const name = await local([
      'run',
      '--session',
      session,
      '--name',
      'bad\nname',
      'host',
      '--',
      'true',
    ]);
    expect(name.code).toBe(125);
    expect(oneLine(name)).toMatch(/^berth: ConfigurationError: /);
    const env = await local([
      'run',
      '--session',
      session,
      '-e',
      'MULTI=one\ntwo',
      'host',
      '--',
      'sh',
      '-c',
      'printf "%s" "$MULTI"',
    ]);
    expect(env.code).toBe(0);
    expect(env.stdout).toBe('one\ntwo\n');
    // Huge values are passed through whole (the drivers take them), not cut or choked on.
    const value = 'v'.repeat(100_000);
    const huge = await local([
      'run',
      '--no-rm',
      '--session',
      `${session}-huge`,
      '--label',
      `k=${value}`,
      'host',
      '--',
      'true',
    ]);
    expect(huge.code).toBe(0);
    const listed = await local(['ps', '--json', '--all', '--session', `${session}-huge`]);
    expect(JSON.parse(listed.stdout)[0].labels.k).toBe(value);
    expect((await local(['cleanup', '--session', `${session}-huge`])).code).toBe(0);
  });
});

describe('pipes', () => {
  it('a reader that goes away ends logs -f, as SIGPIPE would (141), without an error', async () => {
    const made = await local([
      'run',
      '-d',
      '--session',
      session,
      'host',
      '--',
      'sh',
      '-c',
      'while true; do echo tick; sleep 0.1; done',
    ]);
    expect(made.code).toBe(0);
    const follow = start(['--driver', 'local', 'logs', '-f', made.stdout.trim()], {
      env: { BERTH_STATE_DIR: state.path },
    });
    await follow.waitFor('tick\n');
    follow.child.stdout?.destroy();
    const result = await follow.done;
    expect(result.code).toBe(141);
    expect(result.stderr).toBe('');
  });
});

describe('colour and speed', () => {
  it('no colour codes when stdout is not a terminal, unless FORCE_COLOR; NO_COLOR and --no-color win', async () => {
    for (const args of [['version'], ['ps', '--all'], ['doctor'], ['logs', 'nope']]) {
      const plain = await local(args);
      expect(plain.stdout + plain.stderr).not.toMatch(ANSI);
    }
    const forced = await local(['version'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    expect(
      (await local(['version'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout,
    ).not.toMatch(ANSI);
    expect(
      (await local(['version', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout,
    ).not.toMatch(ANSI);
  });

  it('exits promptly: version and ps on the local driver, run -d of a long container', async () => {
    const version = await berth(['version']);
    const ps = await local(['ps']);
    expect(version.code).toBe(0);
    expect(ps.code).toBe(0);
    console.log(
      `[@berth/cli] wall time: berth version ${version.ms.toFixed(0)} ms, berth ps (local) ${ps.ms.toFixed(0)} ms`,
    );
    expect(version.ms).toBeLessThan(3000);
    expect(ps.ms).toBeLessThan(5000);
    const detached = await local(['run', '-d', '--session', session, 'host', '--', 'sleep', '60']);
    expect(detached.code).toBe(0);
    expect(detached.ms).toBeLessThan(5000);
  });
});

// `script` gives the command a terminal, for what only happens on one.
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript)
  console.warn('[@berth/cli] skipping terminal tests: util-linux `script` is not installed');

describe.skipIf(!hasScript)('on a terminal', () => {
  const inTerminal = (command: string, input: string) =>
    spawnSync('script', ['-qec', command, '/dev/null'], {
      input,
      encoding: 'utf8',
      env: {
        ...process.env,
        BERTH_STATE_DIR: state.path,
        BERTH_DRIVER: 'local',
        NO_COLOR: '',
        FORCE_COLOR: '',
      },
      timeout: 30_000,
    });
  const bin = new URL('../dist/bin.js', import.meta.url).pathname;

  it('cleanup --all asks first; no keeps everything, yes removes it with progress', async () => {
    const made = await local([
      'run',
      '-d',
      '--session',
      `${session}-tty`,
      'host',
      '--',
      'sleep',
      '60',
    ]);
    expect(made.code).toBe(0);
    const no = inTerminal(`${process.execPath} ${bin} cleanup --all`, 'n\n');
    expect(no.stdout).toContain('Remove every container');
    expect(no.stdout).toContain('nothing removed');
    expect(no.status).toBe(1);
    expect((await local(['ps', '-q', '--session', `${session}-tty`])).stdout.trim()).toBe(
      made.stdout.trim().slice(0, 12),
    );
    const yes = inTerminal(`${process.execPath} ${bin} cleanup --all`, 'y\n');
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain('removing containers');
    expect(yes.stdout).toMatch(/removed \d+ containers?/);
    expect((await local(['ps', '-q', '--all'])).stdout).toBe('');
  });

  it('colours output on a terminal', () => {
    const version = inTerminal(`${process.execPath} ${bin} version`, '');
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(ANSI);
  });
});
