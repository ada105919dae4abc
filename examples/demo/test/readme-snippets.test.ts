import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// Written inside this package so the snippet resolves @berth/* the way a user's project would.
const here = fileURLToPath(new URL('.', import.meta.url));
const written: string[] = [];
afterAll(() => {
  for (const file of written) rmSync(file, { force: true });
});

function firstSnippet(readme: string): string {
  const match = readFileSync(readme, 'utf8').match(/```ts\n([\s\S]*?)```/);
  if (!match?.[1]) throw new Error(`${readme} has no ts snippet`);
  return match[1];
}

describe('package README snippets run', () => {
  for (const pkg of ['core', 'driver-mock', 'driver-local', 'resilience']) {
    it(`@berth/${pkg}`, async () => {
      const file = `${here}.snippet-${pkg}.ts`;
      writeFileSync(file, firstSnippet(`${here}../../../packages/${pkg}/README.md`));
      written.push(file);
      const { stdout } = await promisify(execFile)(process.execPath, [file], {
        env: { ...process.env, BERTH_DRIVER: '' },
      });
      expect(stdout.length).toBeGreaterThan(0);
    }, 20_000);
  }
});
