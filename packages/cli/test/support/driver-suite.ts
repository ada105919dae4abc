import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { berth, oneLine, type Result, type RunOptions, start, tempDir } from './berth.js';

export interface SuiteOptions {
  driver: 'local' | 'docker';
  /** The image to run (local: only recorded). */
  image: string;
  /** A `run` that fails before its container runs, and the error class it must report. */
  failingRun: { args: string[]; error: string };
  /** Containers on the driver for a session, seen without going through the CLI. */
  listDirectly?: (session: string) => Promise<number>;
  /** Removes a session's leftovers without the CLI, whatever the tests did. */
  cleanDirectly?: (session: string) => Promise<void>;
}

interface Instance {
  id: string;
  name: string;
  sessionId: string;
  tenantId?: string;
  status: string;
  exitCode?: number;
  createdAt: string;
  labels: Record<string, string>;
}

/**
 * The end-to-end behaviour every driver must show through `berth`, spawned as a user runs
 * it. Each test makes its own session; afterAll removes every one of them (and the state
 * directory), through the CLI and, where given, directly.
 */
export function defineDriverSuite(options: SuiteOptions): void {
  const { driver, image } = options;
  const prefix = `cli-test-${driver}-${randomBytes(3).toString('hex')}`;
  const sessions: string[] = [];
  let state: Awaited<ReturnType<typeof tempDir>>;
  let count = 0;

  const session = () => {
    const id = `${prefix}-${++count}`;
    sessions.push(id);
    return id;
  };
  const cli = (args: string[], more: RunOptions = {}) =>
    berth(['--driver', driver, ...args], {
      ...more,
      env: { BERTH_STATE_DIR: state.path, ...more.env },
    });
  const spawnCli = (args: string[], more: RunOptions = {}) =>
    start(['--driver', driver, ...args], {
      ...more,
      env: { BERTH_STATE_DIR: state.path, ...more.env },
    });
  const ok = (result: Result) => {
    expect(result.stderr, result.stdout).toBe('');
    expect(result.code).toBe(0);
    return result;
  };
  const list = async (args: string[]): Promise<Instance[]> =>
    JSON.parse(ok(await cli(['ps', '--json', ...args])).stdout) as Instance[];
  /** A running container of the session, kept until the session is cleaned up. */
  const detached = async (sessionId: string, script: string, extra: string[] = []) => {
    const result = ok(
      await cli(['run', '-d', '--session', sessionId, ...extra, image, '--', 'sh', '-c', script]),
    );
    return result.stdout.trim();
  };

  beforeAll(async () => {
    state = await tempDir();
  });

  afterAll(async () => {
    for (const id of sessions) {
      await cli(['cleanup', '--session', id]);
      await options.cleanDirectly?.(id);
    }
    if (options.listDirectly) {
      for (const id of sessions) expect(await options.listDirectly(id)).toBe(0);
    }
    await state.remove();
  });

  it('run passes the exit code through, splits the streams and removes the container', async () => {
    const s = session();
    const result = await cli([
      'run',
      '--session',
      s,
      image,
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 7',
    ]);
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(await list(['--all', '--session', s])).toEqual([]);
    if (options.listDirectly) expect(await options.listDirectly(s)).toBe(0);
  });

  it('run streams output as it is produced, not at the end', async () => {
    const s = session();
    const run = spawnCli([
      'run',
      '--session',
      s,
      image,
      '--',
      'sh',
      '-c',
      'echo first; sleep 2; echo second',
    ]);
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('first\nsecond\n');
    const first = run.arrivals.find((a) => a.text.includes('first'));
    const second = run.arrivals.find((a) => a.text.includes('second'));
    expect(first && second).toBeTruthy();
    // Written two seconds apart by the container: they must reach us well apart too.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThan(1200);
  });

  it('run --no-rm keeps the container, with its exit code', async () => {
    const s = session();
    const result = await cli([
      'run',
      '--no-rm',
      '--session',
      s,
      '--label',
      'kept=yes',
      image,
      '--',
      'sh',
      '-c',
      'exit 3',
    ]);
    expect(result.code).toBe(3);
    const [kept, ...others] = await list(['--all', '--session', s]);
    expect(others).toEqual([]);
    expect(kept).toMatchObject({ sessionId: s, exitCode: 3, labels: { kept: 'yes' } });
    expect(['exited', 'stopped']).toContain(kept?.status);
  });

  it('run -d returns at once with the id, the container running on', async () => {
    const s = session();
    const started = performance.now();
    const id = await detached(s, 'sleep 60');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(id).toMatch(/^[0-9a-f]{12,}$/);
    const [running] = await list(['--session', s]);
    expect(running).toMatchObject({ id, status: 'running' });
  });

  it("run's own failure before the container ran is 125, one line naming the typed error", async () => {
    const result = await cli(['run', '--session', session(), ...options.failingRun.args]);
    expect(result.code).toBe(125);
    expect(oneLine(result)).toMatch(
      new RegExp(`^berth: ${options.failingRun.error}: .+ \\(code [A-Z_]+\\)$`),
    );
    expect(result.stdout).toBe('');
  });

  it('run: Ctrl-C stops and removes the container, exit 130', async () => {
    const s = session();
    const run = spawnCli(['run', '--session', s, image, '--', 'sh', '-c', 'echo up; sleep 60']);
    await run.waitFor('up\n');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/stopping [0-9a-f]{12} and removing it/);
    expect(result.ms).toBeLessThan(20_000);
    expect(await list(['--all', '--session', s])).toEqual([]);
  });

  it("exec passes the command's exit code, env, working directory, arguments and stdin", async () => {
    const id = await detached(session(), 'sleep 60');
    expect((await cli(['exec', id, '--', 'sh', '-c', 'echo hi; exit 5'])).code).toBe(5);
    const env = ok(
      await cli([
        'exec',
        '-e',
        'GREETING=hello there',
        '-w',
        '/tmp',
        id,
        'sh',
        '-c',
        'echo "$GREETING"; pwd',
      ]),
    );
    expect(env.stdout).toBe('hello there\n/tmp\n');
    // Flags after the container are the command's, not berth's.
    const args = ok(
      await cli(['exec', id, 'sh', '-c', 'printf "%s\\n" "$@"', 'sh', '-n', '--flag']),
    );
    expect(args.stdout).toBe('-n\n--flag\n');
    const input = 'line one\nline two\n';
    const cat = ok(await cli(['exec', '-i', id, '--', 'cat'], { input }));
    expect(cat.stdout).toBe(input);
    // Without -i the command reads end-of-file at once, whatever berth's stdin holds.
    expect(ok(await cli(['exec', id, '--', 'cat'], { input })).stdout).toBe('');
    const json = await cli([
      'exec',
      '--json',
      id,
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 4',
    ]);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id,
      exitCode: 4,
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  it('exec by a unique id prefix works; into a missing container is exit 3', async () => {
    const id = await detached(session(), 'sleep 60');
    expect(ok(await cli(['exec', id.slice(0, 8), '--', 'echo', 'prefix'])).stdout).toBe('prefix\n');
    const missing = await cli(['exec', 'no-such-container', '--', 'true']);
    expect(missing.code).toBe(3);
    expect(oneLine(missing)).toMatch(/^berth: ContainerNotFoundError: .*no-such-container/);
  });

  it('ps lists what was made, as a table and as JSON, and its filters work', async () => {
    const blue = session();
    const red = session();
    const a = await detached(blue, 'sleep 60', [
      '--label',
      'team=blue',
      '--tenant',
      `${blue}-t`,
      '--name',
      `${blue}-a`,
    ]);
    ok(await cli(['run', '--no-rm', '--session', red, '--label', 'team=red', image, '--', 'true']));
    const [b] = await list(['--all', '--session', red]);

    const onlyBlue = await list(['--session', blue]);
    expect(onlyBlue.map((c) => c.id)).toEqual([a]);
    expect(onlyBlue[0]).toMatchObject({
      name: `${blue}-a`,
      status: 'running',
      tenantId: `${blue}-t`,
      labels: { team: 'blue' },
    });
    expect(onlyBlue[0]?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Not running: only with --all or a matching --status.
    expect(await list(['--session', red])).toEqual([]);
    expect((await list(['--status', 'exited,stopped', '--session', red])).map((c) => c.id)).toEqual(
      [b?.id],
    );
    expect(await list(['--status', 'running', '--session', red])).toEqual([]);
    const labelled = await list(['--all', '--label', 'team=blue']);
    expect(labelled.map((c) => c.id)).toContain(a);
    expect(labelled.map((c) => c.id)).not.toContain(b?.id);
    expect((await list(['--all', '--label', 'team', '--session', red])).map((c) => c.id)).toEqual([
      b?.id,
    ]);
    expect((await list(['--tenant', `${blue}-t`])).map((c) => c.id)).toEqual([a]);

    const table = ok(await cli(['ps', '--all', '--session', blue]));
    const [header, row, ...rest] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^CONTAINER ID +NAME +IMAGE +STATUS +SESSION +TENANT +CREATED +PORTS$/);
    expect(rest).toEqual([]);
    expect(row).toContain(a.slice(0, 12));
    expect(row).not.toContain(a.slice(0, 13));
    expect(row).toContain(`${blue}-a`);
    expect(row).toContain('running');
    expect(ok(await cli(['ps', '-q', '--all', '--session', blue])).stdout).toBe(
      `${a.slice(0, 12)}\n`,
    );

    const bad = await cli(['ps', '--status', 'runing']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad)).toContain("Did you mean 'running'?");
  });

  it('logs prints each stream to its own, with --tail and --timestamps', async () => {
    const id = await detached(session(), 'echo one; echo two >&2; echo three; sleep 60');
    let logs = await cli(['logs', id]);
    for (let i = 0; i < 100 && !logs.stdout.includes('three'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = await cli(['logs', id]);
    }
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('one\nthree\n');
    expect(logs.stderr).toBe('two\n');
    expect(ok(await cli(['logs', '--tail', '1', id])).stdout).toBe('three\n');
    const stamped = await cli(['logs', '--timestamps', id]);
    const iso = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
    expect(stamped.stdout).toMatch(new RegExp(`^${iso} one\n${iso} three\n$`));
    expect(stamped.stderr).toMatch(new RegExp(`^${iso} two\n$`));
    const future = await cli(['logs', '--since', '2999-01-01T00:00:00Z', id]);
    expect(future.stdout).toBe('');
    const json = ok(await cli(['logs', '--json', id]));
    const records = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stream: string; line: string });
    // Each stream in order; between streams the order is the driver's timestamps' business.
    const of = (stream: string) => records.filter((r) => r.stream === stream).map((r) => r.line);
    expect(of('stdout')).toEqual(['one', 'three']);
    expect(of('stderr')).toEqual(['two']);
    expect(records).toHaveLength(3);
  });

  it('logs -f follows new output and ends, exit 0, when the container stops', async () => {
    const id = await detached(session(), 'echo a; sleep 2; echo b');
    const follow = spawnCli(['logs', '-f', id]);
    await follow.waitFor('a\n');
    const seenA = performance.now();
    const result = await follow.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('a\nb\n');
    expect(performance.now() - seenA).toBeGreaterThan(500);
  });

  it('logs -f ends with 130 on Ctrl-C, quietly', async () => {
    const id = await detached(session(), 'echo ready; sleep 60');
    const follow = spawnCli(['logs', '-f', id]);
    await follow.waitFor('ready\n');
    follow.child.kill('SIGINT');
    const result = await follow.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toBe('');
  });

  it('stop and rm each container given; rm of a running one needs -f; what is gone is exit 3', async () => {
    const s = session();
    const one = await detached(s, 'sleep 60', ['--name', `${s}-one`]);
    const two = await detached(s, 'sleep 60');
    const stopped = ok(await cli(['stop', '-t', '1', `${s}-one`]));
    expect(stopped.stdout).toBe(`${s}-one\n`);
    const [after] = (await list(['--all', '--session', s])).filter((c) => c.id === one);
    expect(['exited', 'stopped']).toContain(after?.status);

    const refused = await cli(['rm', two]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused)).toMatch(/^berth: ContainerRemoveError: /);
    expect(ok(await cli(['rm', '-f', two, one])).stdout).toBe(`${two}\n${one}\n`);
    expect(await list(['--all', '--session', s])).toEqual([]);

    const gone = await cli(['rm', one]);
    expect(gone.code).toBe(3);
    expect(oneLine(gone)).toMatch(/^berth: ContainerNotFoundError: /);
    const json = await cli(['stop', '--json', 'not-there']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        ref: 'not-there',
        ok: false,
        error: expect.objectContaining({ code: 'CONTAINER_NOT_FOUND', exitCode: 3 }),
      },
    ]);
  });

  it("cleanup --session removes exactly that session's containers", async () => {
    const doomed = session();
    const kept = session();
    await detached(doomed, 'sleep 60');
    ok(await cli(['run', '--no-rm', '--session', doomed, image, '--', 'true']));
    const survivor = await detached(kept, 'sleep 60');
    const result = ok(await cli(['cleanup', '--session', doomed, '--json']));
    expect(JSON.parse(result.stdout)).toMatchObject({
      filter: { sessionId: doomed },
      removed: { containers: 2 },
    });
    expect(await list(['--all', '--session', doomed])).toEqual([]);
    expect((await list(['--all', '--session', kept])).map((c) => c.id)).toEqual([survivor]);
    if (options.listDirectly) expect(await options.listDirectly(doomed)).toBe(0);
    // Again: nothing left, and that is not an error.
    expect(ok(await cli(['cleanup', '--session', doomed])).stdout).toBe(
      'removed 0 containers, 0 volumes, 0 networks\n',
    );
  });
}
