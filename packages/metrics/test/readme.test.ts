import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

// Written inside the package so '@berth/metrics' resolves to its build as a user's import would.
const here = fileURLToPath(new URL('.', import.meta.url));
const file = `${here}.snippet-readme.ts`;
afterAll(() => rmSync(file, { force: true }));

it('the README snippet runs and prints the counters it shows', async () => {
  const readme = readFileSync(`${here}../README.md`, 'utf8');
  const snippet = readme.match(/```ts\n([\s\S]*?)```/)?.[1];
  expect(snippet).toBeDefined();
  writeFileSync(file, snippet as string);
  const { stdout } = await promisify(execFile)(process.execPath, [file]);
  expect(stdout).toContain(
    'berth_driver_operations_total{driver="mock-docker",operation="removeContainer",outcome="error"} 1',
  );
}, 20_000);
