import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

// Written inside the package so '@berth/metrics' resolves to its build as a user's import would.
const here = fileURLToPath(new URL('.', import.meta.url));
const written: string[] = [];
afterAll(() => {
  for (const file of written) rmSync(file, { force: true });
});

const readme = readFileSync(`${here}../README.md`, 'utf8');
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);

// What each snippet, in README order, must print: enough to break if the code it shows did.
const expected: (string | RegExp)[] = [
  'berth_driver_operations_total{driver="mock-docker",operation="removeContainer",outcome="error"} 1',
  'berth_container_cpu_percent{driver="mock-docker",container="web",session="demo"} 40',
  /berth_sessions_active\{driver="mock-docker"\} 1[\s\S]*berth_pool_allocated\{resource="cpu"\} 1/,
  /"event":"container:started".*"sessionId":"demo","tenantId":"acme"/,
];

it('has the snippets this test knows', () => {
  expect(snippets).toHaveLength(expected.length);
});

snippets.forEach((snippet, i) => {
  it(`README snippet ${i + 1} runs and prints what it shows`, async () => {
    const file = `${here}.snippet-readme-${i + 1}.ts`;
    written.push(file);
    writeFileSync(file, snippet);
    const { stdout } = await promisify(execFile)(process.execPath, [file]);
    const want = expected[i] as string | RegExp;
    if (typeof want === 'string') expect(stdout).toContain(want);
    else expect(stdout).toMatch(want);
  }, 20_000);
});
