import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs one example program with node, as a user would (`node src/<name>.ts`), with a throwaway
 * cache for the local driver's state (removed afterwards), and returns what it printed.
 */
export async function runExample(name: string): Promise<string> {
  const program = fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url));
  const cache = mkdtempSync(join(tmpdir(), `berth-example-${name}-`));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [program], {
      env: { ...process.env, XDG_CACHE_HOME: cache },
      timeout: 60_000,
    });
    return stdout;
  } finally {
    // The program has ended (or was killed at its timeout): nothing writes here any more.
    rmSync(cache, { recursive: true, force: true });
  }
}
