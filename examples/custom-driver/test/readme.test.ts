import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

// Written inside this package, so the snippet imports the package by its name as a user would.
const snippet = fileURLToPath(new URL('./.snippet-readme.ts', import.meta.url));
afterAll(() => rmSync(snippet, { force: true }));

it('the README’s first snippet runs and prints what its comments say', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README.md has no ts snippet').toBeDefined();
  writeFileSync(snippet, code as string);
  const { stdout } = await promisify(execFile)(process.execPath, [snippet]);
  expect(stdout).toContain('{ exitCode: 3, oomKilled: false }');
  expect(stdout).toContain('hello world\n');
  expect(stdout).toContain('The driver cannot enforce: ports (ports).');
}, 20_000);

it('the README’s conformance file is this package’s own, word for word', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const test = readFileSync(new URL('./conformance.test.ts', import.meta.url), 'utf8');
  expect(readme).toContain(`\`\`\`ts\n${test}\`\`\``);
});
