import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, type UserConfig } from 'tsdown';

type DtsOptions = Extract<NonNullable<UserConfig['dts']>, object>;
type DtsGenerator = Extract<NonNullable<DtsOptions['generator']>, object>;

/**
 * Declarations from the `tsc` of the pinned TypeScript 7.0, run once per build.
 *
 * tsdown's dts plugin would pick its own `tsgo` backend for TypeScript 7.0, which it has
 * deprecated (it warns on every build) because it will be dropped in its next minor; its
 * replacement needs the declaration-emit API that only TypeScript 7.1 ships. Its other
 * generators do not fit either: `tsc` needs the JavaScript compiler API of TypeScript <= 6, `oxc`
 * needs `isolatedDeclarations`, which the contract's inferred zod schema types cannot meet. This
 * is the same approach as that backend (the compiler's CLI emits every declaration, the plugin
 * bundles them), kept here so a tsdown upgrade cannot remove it.
 */
class TscCliDeclarations implements DtsGenerator {
  // Under the package, not the temp directory, so an interrupted build leaves nothing behind
  // in /tmp; the next build clears it first.
  private readonly outDir = path.resolve('node_modules/.cache/berth-dts');
  // Emitting relative to the filesystem root maps any source file the bundle reaches, also
  // one outside the package's rootDir, to one predictable place under outDir.
  private readonly rootDir = path.parse(process.cwd()).root;

  async init(): Promise<void> {
    await rm(this.outDir, { recursive: true, force: true });
    const tsc = path.join(
      path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')),
      'bin/tsc',
    );
    const args = [
      ...['-p', path.resolve('tsconfig.json')],
      // The shared tsconfig is for type checking (noEmit); this run emits declarations only.
      ...['--noEmit', 'false', '--declaration', '--emitDeclarationOnly'],
      ...['--outDir', this.outDir, '--rootDir', this.rootDir],
      // The typecheck task reports type errors; a build should not fail or slow down twice.
      '--noCheck',
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [tsc, ...args], { stdio: 'inherit' });
      child.on('error', reject);
      child.on('close', (code, signal) =>
        code === 0
          ? resolve()
          : reject(new Error(`tsc ${args.join(' ')} ended with ${signal ?? `exit code ${code}`}`)),
      );
    });
  }

  async emit(_code: string, fileName: string): Promise<{ code?: string; error?: string }> {
    const relative = path.relative(this.rootDir, fileName).replace(/\.([cm]?)tsx?$/, '.d.$1ts');
    const dtsPath = path.join(this.outDir, relative);
    if (!existsSync(dtsPath)) {
      return { error: `tsc wrote no declarations for ${fileName} (looked for ${dtsPath})` };
    }
    return { code: await readFile(dtsPath, 'utf8') };
  }

  async dispose(): Promise<void> {
    await rm(this.outDir, { recursive: true, force: true });
  }
}

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
    dts: { generator: new TscCliDeclarations() },
    sourcemap: true,
    clean: true,
    fixedExtension: false,
    ...overrides,
    entry: withGuard(overrides.entry),
  });
}
