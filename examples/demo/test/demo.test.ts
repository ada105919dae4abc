import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../src/demo.ts', import.meta.url));

it('runs the whole lifecycle through the registry, one line per step', async () => {
  const env = { ...process.env };
  delete env.BERTH_DRIVER;
  const { stdout } = await promisify(execFile)(process.execPath, [demo], { env });
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toBe("Berth demo on the 'mock-docker' driver");
  const steps = lines.slice(2).map((line) => line.match(/^\s*(\d+) ms {2}(\w+)/)?.slice(1));
  expect(steps.map((s) => s?.[1])).toEqual([
    'create',
    'start',
    'health',
    'logs',
    'stop',
    'status',
    'remove',
  ]);
  // Realistic timing: every step took the profile's 100–200 ms.
  for (const s of steps) expect(Number(s?.[0])).toBeGreaterThanOrEqual(99);
  expect(stdout).toContain('healthy');
  expect(stdout).toContain(JSON.stringify('hello from berth\na warning\n'));
  expect(stdout).toMatch(/status {2}exited \(exit 143\)/);
}, 30_000);
