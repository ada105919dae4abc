import { describe, expect, it } from 'vitest';
import { berth, oneLine, start } from './support/berth.js';
import { useLocalState } from './support/local.js';

const { local, path, session } = useLocalState();

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
    const env = { DOCKER_HOST: `unix://${path()}/no-engine.sock` };
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
      env: { BERTH_STATE_DIR: path() },
    });
    await follow.waitFor('tick\n');
    follow.child.stdout?.destroy();
    const result = await follow.done;
    expect(result.code).toBe(141);
    expect(result.stderr).toBe('');
  });
});
