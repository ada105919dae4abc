import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, ExitCode, Interrupted, runCli } from '../src/index.js';
import { tempDir } from './support/berth.js';

/** Streams that collect what berth writes, as a pipe would (not a terminal). */
function capture(extra: Partial<CliIo> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return {
    io: {
      stdout,
      stderr,
      env: { ...process.env, BERTH_STATE_DIR: state.path, NO_COLOR: '1' },
      ...extra,
    } as CliIo,
    out: () => out,
    err: () => err,
  };
}

let state: Awaited<ReturnType<typeof tempDir>>;
const session = `cli-test-embed-${process.pid}`;

beforeAll(async () => {
  state = await tempDir();
});

afterAll(async () => {
  await runCli(['--driver', 'local', 'cleanup', '--session', session], capture().io);
  await state.remove();
});

describe('runCli, in-process', () => {
  it('resolves to the exit code and writes to the streams it is given', async () => {
    const c = capture();
    expect(await runCli(['version', '--json'], c.io)).toBe(ExitCode.OK);
    expect(JSON.parse(c.out())).toMatchObject({ core: { contract: 'berth.v1' } });
    expect(c.err()).toBe('');
  });

  it('NUL bytes (which no real argv can hold) are one typed line, never a crash', async () => {
    const id = capture();
    expect(await runCli(['--driver', 'local', 'logs', 'a\0b'], id.io)).toBe(ExitCode.USAGE);
    expect(id.err()).toMatch(
      /^berth: ConfigurationError: 'a\\0b' is not a container id or name.*\n$/,
    );
    const env = capture();
    const code = await runCli(
      ['--driver', 'local', 'run', '--session', session, '-e', 'A=x\0y', 'host', '--', 'true'],
      env.io,
    );
    expect(code).toBe(ExitCode.RUN_FAILED);
    expect(env.err().split('\n').filter(Boolean)).toHaveLength(1);
    expect(env.err()).toMatch(/^berth: ConfigurationError: .*\\0/);
    const session0 = capture();
    expect(await runCli(['--driver', 'local', 'ps', '--session', 's\0'], session0.io)).toBe(
      ExitCode.USAGE,
    );
    expect(session0.err()).toMatch(/^berth: ConfigurationError: [^\n]*\n$/);
  });

  it('an aborted signal interrupts a follow: exit 130, as Ctrl-C', async () => {
    const made = capture();
    expect(
      await runCli(
        ['--driver', 'local', 'run', '-d', '--session', session, 'host', '--', 'sleep', '60'],
        made.io,
      ),
    ).toBe(0);
    const controller = new AbortController();
    const follow = capture({ signal: controller.signal });
    const running = runCli(['--driver', 'local', 'logs', '-f', made.out().trim()], follow.io);
    setTimeout(() => controller.abort(new Interrupted('SIGINT')), 500);
    expect(await running).toBe(ExitCode.INTERRUPTED);
    expect(follow.err()).toBe('');
  });
});
