import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('a script using resilient() ends on its own after shutdown()', async () => {
  const script = fileURLToPath(new URL('./fixtures/exits-on-its-own.ts', import.meta.url));
  // The timeout only catches a hang (the process would otherwise never exit); it is no speed target.
  const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 20_000 });
  expect(stdout.trim()).toBe('halfOpen');
}, 30_000);
