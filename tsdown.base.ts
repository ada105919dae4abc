import { existsSync } from 'node:fs';
import { defineConfig, type UserConfig } from 'tsdown';

const GUARD = 'src/node-guard.ts';

/** The package's entries with its Node.js guard as one more, named `node-guard`. */
function withGuard(entry: UserConfig['entry']): UserConfig['entry'] {
  if (entry === undefined) return { index: 'src/index.ts', 'node-guard': GUARD };
  if (typeof entry === 'string') return [entry, GUARD];
  if (Array.isArray(entry)) return [...entry, GUARD];
  return { ...entry, 'node-guard': GUARD };
}

/**
 * The build every package shares: ESM and .d.ts for Node 22+, from src/index.ts (or the
 * entries given).
 *
 * Every package also builds src/node-guard.ts as an entry of its own. Its entries import it
 * first, so that on an older Node.js the import stops with one message naming the package,
 * before a dependency fails in its own way; inlined into an entry's chunk, it would be evaluated
 * after that chunk's imports, too late.
 */
export function packageBuild(overrides: UserConfig = {}) {
  if (!existsSync(GUARD)) {
    throw new Error(
      `${process.cwd()}: ${GUARD} is missing. Every Berth package checks the Node.js version before anything else when imported: copy packages/driver-mock/${GUARD} with this package's name, and import it first in each entry.`,
    );
  }
  return defineConfig({
    format: 'esm',
    platform: 'node',
    target: 'node22',
    dts: true,
    sourcemap: true,
    clean: true,
    fixedExtension: false,
    ...overrides,
    entry: withGuard(overrides.entry),
  });
}
