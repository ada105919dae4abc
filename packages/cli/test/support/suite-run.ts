import { expect, it } from 'vitest';
import { oneLine } from './berth.js';
import type { SuiteContext } from './driver-suite.js';

/** `run`: exit codes, streaming, JSON records, detaching, failures, Ctrl-C. */
export function defineRunTests(ctx: SuiteContext): void {
  const { options, image, session, cli, spawnCli, list, detached } = ctx;
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

  it('run --json streams output records and ends with the exit record', async () => {
    const s = session();
    const result = await cli([
      'run',
      '--json',
      '--session',
      s,
      image,
      '--',
      'sh',
      '-c',
      'echo a; echo b >&2; exit 2',
    ]);
    expect(result.code).toBe(2);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const last = records.pop();
    expect(last).toMatchObject({ exitCode: 2, oomKilled: false, removed: true });
    expect(last.id).toMatch(/^[0-9a-f]{12,}$/);
    expect(records.map((r) => `${r.stream}:${r.line}`).sort()).toEqual(['stderr:b', 'stdout:a']);
    for (const r of records) expect(Number.isNaN(Date.parse(r.timestamp))).toBe(false);
    expect(result.stderr).toBe('');
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
      'echo first; sleep 2.5; echo second',
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
}
