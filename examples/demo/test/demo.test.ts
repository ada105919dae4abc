import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../src/demo.ts', import.meta.url));
const cache = mkdtempSync(join(tmpdir(), 'berth-demo-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

async function runDemo(driver?: string) {
  // The local driver keeps its state under the cache directory: a throwaway one here.
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
  if (driver) env.BERTH_DRIVER = driver;
  else delete env.BERTH_DRIVER;
  const { stdout } = await promisify(execFile)(process.execPath, [demo], { env });
  return stdout;
}

const STEPS = ['create', 'start', 'health', 'logs', 'stop', 'status', 'remove'];

function stepsOf(stdout: string) {
  return stdout
    .split('\n')
    .map((line) => line.match(/^\s*(\d+) ms {2}(\w+)/)?.slice(1))
    .filter((s) => s !== undefined);
}

it('runs the whole lifecycle on the local driver by default', async () => {
  const stdout = await runDemo();
  expect(stdout.split('\n')[0]).toBe("Berth demo on the 'local' driver");
  expect(stepsOf(stdout).map((s) => s[1])).toEqual(STEPS);
  expect(stdout).toContain('healthy');
  expect(stdout).toContain(JSON.stringify('hello from berth\na warning\n'));
  expect(stdout).toMatch(/status {2}stopped \(exit 143\)/);
  // As root on a Linux host with cgroups, setpriv and bubblewrap, nothing is relaxed.
  if (process.getuid?.() === 0) expect(stdout).not.toContain('best-effort');
}, 30_000);

it('runs on the Docker-like mock with realistic timing through BERTH_DRIVER', async () => {
  const stdout = await runDemo('mock-docker');
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toBe("Berth demo on the 'mock-docker' driver");
  const steps = stepsOf(stdout);
  expect(steps.map((s) => s?.[1])).toEqual(STEPS);
  // Realistic timing: every step took the profile's 100–200 ms.
  for (const s of steps) expect(Number(s?.[0])).toBeGreaterThanOrEqual(99);
  expect(stdout).toContain('healthy');
  expect(stdout).toContain(JSON.stringify('hello from berth\na warning\n'));
  expect(stdout).toMatch(/status {2}exited \(exit 143\)/);
}, 30_000);
