import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pingDockerEngine } from '@berth/driver-docker';
import { afterAll, describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../src/demo.ts', import.meta.url));
const cache = mkdtempSync(join(tmpdir(), 'berth-demo-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const engine = await pingDockerEngine({ timeoutMs: 2000 });
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const noEngine = !engine && !inCI;
if (noEngine) console.warn('[demo] the docker driver cases are skipped: no Docker engine answers');

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the demo as `pnpm demo` does, with BERTH_DRIVER and BERTH_DEMO_IMAGE as given. */
function runDemo(env: { BERTH_DRIVER?: string; BERTH_DEMO_IMAGE?: string } = {}): Promise<DemoRun> {
  // The local driver keeps its state under the cache directory: a throwaway one here.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, ...env };
  for (const name of ['BERTH_DRIVER', 'BERTH_DEMO_IMAGE'] as const) {
    if (!(name in env)) delete childEnv[name];
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [demo], { env: childEnv }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const STEPS = ['create', 'start', 'health', 'logs', 'stop', 'status', 'remove'];

function stepsOf(stdout: string) {
  return stdout
    .split('\n')
    .map((line) => line.match(/^\s*(\d+) ms {2}(\w+)/)?.slice(1))
    .filter((s) => s !== undefined);
}

/** The demo failed as a user's mistake should: exit 1, one line naming it, no stack trace. */
function expectOneLineFailure(run: DemoRun, message: RegExp) {
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^demo: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(stepsOf(run.stdout)).toEqual([]);
}

it('runs the whole lifecycle on the local driver by default', async () => {
  const { code, stdout } = await runDemo();
  expect(code).toBe(0);
  expect(stdout.split('\n')[0]).toBe("Berth demo on the 'local' driver, image 'host'");
  expect(stepsOf(stdout).map((s) => s[1])).toEqual(STEPS);
  expect(stdout).toContain('healthy');
  expect(stdout).toContain(JSON.stringify('hello from berth\na warning\n'));
  expect(stdout).toMatch(/status {2}stopped \(exit 143\)/);
  // As root on a Linux host with cgroups, setpriv and bubblewrap, nothing is relaxed.
  if (process.getuid?.() === 0) expect(stdout).not.toContain('best-effort');
}, 30_000);

it('runs on the Docker-like mock with realistic timing through BERTH_DRIVER', async () => {
  const { code, stdout } = await runDemo({ BERTH_DRIVER: 'mock-docker' });
  expect(code).toBe(0);
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toBe("Berth demo on the 'mock-docker' driver, image 'busybox'");
  const steps = stepsOf(stdout);
  expect(steps.map((s) => s?.[1])).toEqual(STEPS);
  // Realistic timing: every step took the profile's 100–200 ms.
  for (const s of steps) expect(Number(s?.[0])).toBeGreaterThanOrEqual(99);
  expect(stdout).toContain('healthy');
  expect(stdout).toContain(JSON.stringify('hello from berth\na warning\n'));
  expect(stdout).toMatch(/status {2}exited \(exit 143\)/);
}, 30_000);

it.skipIf(noEngine)(
  'runs on the Docker engine with the image scripts/docker-engine.sh builds',
  async () => {
    const { code, stdout, stderr } = await runDemo({ BERTH_DRIVER: 'docker' });
    expect(code, stderr).toBe(0);
    expect(stdout.split('\n')[0]).toBe(
      "Berth demo on the 'docker' driver, image 'berth-test/busybox:latest'",
    );
    expect(stepsOf(stdout).map((s) => s[1])).toEqual(STEPS);
    expect(stdout).toMatch(/status {2}exited \(exit \d+\)/);
  },
  60_000,
);

it('an unknown driver is one line naming the known ones, and exit code 1', async () => {
  const run = await runDemo({ BERTH_DRIVER: 'dokcer' });
  expectOneLineFailure(
    run,
    /Unknown driver 'dokcer': did you mean 'docker'\? Known drivers: docker, local, mock-docker, mock-local\.$/,
  );
}, 30_000);

describe('an image that does not exist (BERTH_DEMO_IMAGE), on each driver', () => {
  const missing = 'no-such-image:1';

  it.skipIf(noEngine)(
    'docker, which never pulls: one line saying so, with the image, and exit code 1',
    async () => {
      const run = await runDemo({ BERTH_DRIVER: 'docker', BERTH_DEMO_IMAGE: missing });
      expectOneLineFailure(
        run,
        /Image not found on the engine \(the Docker driver does not pull; load or build it first\): No such image: no-such-image:1$/,
      );
    },
    60_000,
  );

  // The others have no images to miss: the demo runs, and says the image was only recorded.
  for (const [driver, meaning] of [
    ['local', 'the local driver runs host programs: the image is recorded on the container'],
    ['mock-docker', 'the mock-docker driver simulates containers: the image is recorded'],
    ['mock-local', 'the mock-local driver simulates containers: the image is recorded'],
  ] as const) {
    it(`${driver}, which records it: the demo runs and says what the image means there`, async () => {
      const { code, stdout, stderr } = await runDemo({
        BERTH_DRIVER: driver,
        BERTH_DEMO_IMAGE: missing,
      });
      expect(code, stderr).toBe(0);
      expect(stdout.split('\n')[0]).toBe(
        `Berth demo on the '${driver}' driver, image '${missing}'`,
      );
      expect(stdout).toContain(`(${meaning}`);
      expect(stepsOf(stdout).map((s) => s[1])).toEqual(STEPS);
    }, 30_000);
  }
});
