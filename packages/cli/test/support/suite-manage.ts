import { expect, it } from 'vitest';
import { oneLine } from './berth.js';
import type { SuiteContext } from './driver-suite.js';

/** exec, ps, logs, stop, rm and cleanup on containers made with `run -d`. */
export function defineManageTests(ctx: SuiteContext): void {
  const { options, image, session, cli, spawnCli, ok, list, detached } = ctx;
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
      await cli(['exec', id, 'sh', '-c', 'printf "%s\\n" "$@"', 'sh', '-n', '--json']),
    );
    expect(args.stdout).toBe('-n\n--json\n');
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
    const id = await detached(session(), 'echo one; echo two >&2; sleep 0.3; echo three; sleep 60');
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
    // Prints `b` only when stopped (SIGTERM), so the follow must still be running to see it.
    const script = "trap 'echo b; exit 0' TERM; echo a; while true; do sleep 0.1; done";
    const id = await detached(session(), script);
    const follow = spawnCli(['logs', '-f', id]);
    await follow.waitFor('a\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(follow.exited).toBe(false);
    ok(await cli(['stop', '-t', '10', id]));
    const result = await follow.done;
    expect(result.code).toBe(0);
    // (stderr is the container's: the local driver's stop also ends `sleep`, and sh says so.)
    expect(result.stdout).toBe('a\nb\n');
    expect(result.stderr).not.toContain('berth:');
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
