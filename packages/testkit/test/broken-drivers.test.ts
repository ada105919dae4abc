import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending';
  failureMessages: string[];
}

const here = fileURLToPath(new URL('.', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'berth-testkit-'));
let results: AssertionResult[] = [];

beforeAll(async () => {
  const report = join(out, 'report.json');
  // The suite is expected to fail here, so a non-zero exit is normal; the report is what counts.
  await promisify(execFile)(
    process.execPath,
    [
      join(here, '..', 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--config',
      join(here, 'fixtures', 'vitest.config.ts'),
      '--reporter=json',
      `--outputFile=${report}`,
    ],
    { cwd: join(here, '..'), env: { ...process.env, CI: '' } },
  ).catch(() => undefined);
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as {
    testResults: { assertionResults: AssertionResult[] }[];
  };
  results = parsed.testResults.flatMap((file) => file.assertionResults);
}, 240_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

function failedOf(driver: string): string[] {
  return results
    .filter((r) => r.ancestorTitles[0] === `${driver} conformance` && r.status === 'failed')
    .map((r) => `${r.ancestorTitles[1]} › ${r.title}`)
    .sort();
}

describe('capability-dependent tests are skipped, never passed or failed', () => {
  it('skips the groups a driver reports it cannot do, and groups skipped by name', () => {
    const of = (group: string) =>
      results.filter(
        (r) => r.ancestorTitles[0] === 'no-exec conformance' && r.ancestorTitles[1] === group,
      );
    expect(of('exec').length).toBeGreaterThan(0);
    expect(of('exec').every((r) => r.status === 'skipped')).toBe(true);
    expect(of('networks').every((r) => r.status === 'skipped')).toBe(true);
    expect(of('volumes').map((r) => [r.title, r.status])).toEqual([
      ['skipped: this fixture skips volumes by name', 'skipped'],
    ]);
    expect(of('lifecycle').every((r) => r.status === 'passed')).toBe(true);
    expect(failedOf('no-exec')).toEqual([]);
  });

  it('skips single tests named in skipTests, the reason in their name', () => {
    const queries = results.filter(
      (r) => r.ancestorTitles[0] === 'no-exec conformance' && r.ancestorTitles[1] === 'queries',
    );
    expect(queries.map((r) => [r.title, r.status])).toEqual([
      ['filters by session, status, state and labels', 'passed'],
      [
        'getContainer of an unknown id is null (skipped: this fixture skips one test by title)',
        'skipped',
      ],
    ]);
  });
});

describe('the conformance suite catches broken drivers', () => {
  it('ran every fixture', () => {
    const drivers = new Set(results.map((r) => r.ancestorTitles[0]));
    expect([...drivers].sort()).toEqual([
      'control conformance',
      'ignores-filters conformance',
      'leaks-on-remove conformance',
      'no-exec conformance',
      'vague-not-found conformance',
      'wrong-exit-code conformance',
    ]);
  });

  it('a correct driver passes everything but the group it skips by name', () => {
    const control = results.filter((r) => r.ancestorTitles[0] === 'control conformance');
    expect(control.length).toBeGreaterThan(25);
    const skipped = control.filter((r) => r.ancestorTitles[1] === 'security');
    expect(skipped.map((r) => [r.title, r.status])).toEqual([
      ['skipped: in-memory mock: no processes to isolate', 'skipped'],
    ]);
    // A test that does not apply to what this driver can do skips itself, saying why.
    const notApplicable = control.filter((r) => r.status === 'skipped' && !skipped.includes(r));
    expect(notApplicable.map((r) => r.title)).toEqual([
      'waits for a published port and an HTTP endpoint from the host side',
      'an internal network where networks are only logical fails closed under strict enforcement',
    ]);
    expect(
      control.filter(
        (r) => r.status !== 'passed' && !skipped.includes(r) && !notApplicable.includes(r),
      ),
    ).toEqual([]);
  });

  it('a driver that ignores list filters fails the filter tests', () => {
    const failed = failedOf('ignores-filters');
    expect(failed).toContain('queries › filters by session, status, state and labels');
    expect(failed).not.toContain(
      'lifecycle › a container that ends by itself is exited with its exit code',
    );
  });

  it('a driver that leaks containers on remove fails the remove and cleanup tests', () => {
    const failed = failedOf('leaks-on-remove');
    expect(failed).toContain(
      'lifecycle › start, stop, restart and remove move through the documented states',
    );
    expect(failed).toContain('lifecycle › remove refuses a running container unless forced');
    expect(failed).toContain('cleanup › nothing is left carrying the test session’s label');
    expect(failed).not.toContain(
      'logs › keeps stdout and stderr apart, with tail, since and timestamps',
    );
  });

  it('a driver with vague not-found errors fails the errors group only where it matters', () => {
    const failed = failedOf('vague-not-found');
    expect(failed).toEqual([
      'errors › every operation on an unknown id throws ContainerNotFoundError',
      'exec › an unknown container is ContainerNotFoundError',
    ]);
  });
});

/** The first line of the failure of one test, as a CI log shows it. */
function failureOf(driver: string, group: string, title: string): string {
  const result = results.find(
    (r) =>
      r.ancestorTitles[0] === `${driver} conformance` &&
      r.ancestorTitles[1] === group &&
      r.title === title,
  );
  expect(result?.status, `${driver} › ${group} › ${title} should fail`).toBe('failed');
  return result?.failureMessages[0]?.split('\n')[0] ?? '';
}

describe('a failure names the rule that was broken and the input that broke it', () => {
  it('an exit code: the rule, the call with its command and options, and the whole result', () => {
    expect(failedOf('wrong-exit-code')).toEqual([
      'exec › returns exit code, stdout and stderr, with env and cwd applied',
      // A command wait expecting exit 3 never sees it from a driver that reports 0.
      'readiness › waits for a command to succeed, and times out naming what it last saw',
    ]);
    const message = failureOf(
      'wrong-exit-code',
      'exec',
      'returns exit code, stdout and stderr, with env and cwd applied',
    );
    expect(message).toContain("exec returns the command's exit code: exec(");
    expect(message).toContain(
      '["sh","-c","echo $FOO $FROM_CONTAINER; echo oops >&2; exit 4"], {"env":{"FOO":"bar"}})',
    );
    expect(message).toContain('gave {"exitCode":0,"stdout":"bar c1\\n","stderr":"oops\\n"}');
    expect(message).toMatch(/: expected \+0 to be 4\b/);
  });

  it('an error code: the rule, the call with its input, and the error thrown instead', () => {
    const message = failureOf(
      'vague-not-found',
      'errors',
      'every operation on an unknown id throws ContainerNotFoundError',
    );
    expect(message).toContain(
      'an operation on an id no container has throws ContainerNotFoundError: startContainer("berth-conformance-missing-container") threw DriverError (UNKNOWN): something went wrong',
    );
    expect(message).toMatch(/expected 'UNKNOWN' to be 'CONTAINER_NOT_FOUND'/);
  });

  it('a query: the rule, the filter, the containers it should have found and what it got', () => {
    const message = failureOf(
      'ignores-filters',
      'queries',
      'filters by session, status, state and labels',
    );
    expect(message).toMatch(
      /^AssertionError: a sessionId filter lists that session only: listContainers\(\{"sessionId":"conformance-[0-9a-f]+"\}\) of \(running /,
    );
  });
});
