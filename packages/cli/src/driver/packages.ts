import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's directory: where its own dependencies (the drivers) are installed. */
export const CLI_DIR = dirname(fileURLToPath(import.meta.url));

interface Manifest {
  name?: string;
  version?: string;
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

let own: Manifest | undefined;

function findOwnManifest(): Manifest {
  for (let dir = CLI_DIR; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === '@berth/cli') return manifest;
    if (dirname(dir) === dir) return { name: '@berth/cli', version: 'unknown' };
  }
}

/** @berth/cli's own package.json, found above this file (src/ in tests, dist/ when built). */
export function cliManifest(): Manifest {
  own ??= findOwnManifest();
  return own;
}

export interface InstalledPackage {
  name: string;
  version: string;
  /** The directory to resolve it from (what createDriver's resolveFrom should be). */
  from: string;
}

/**
 * Where a package is installed as Node would find it from `from` (node_modules up the tree),
 * read from its package.json without importing it: `version` and `doctor` list drivers
 * without paying for loading them.
 */
function findFrom(pkg: string, from: string): Omit<InstalledPackage, 'from'> | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'node_modules', pkg, 'package.json'));
    if (manifest) return { name: pkg, version: manifest.version ?? 'unknown' };
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * A driver package as installed next to the CLI (its own dependencies) or, failing that, in
 * the project of the current directory (a driver package the user added there).
 */
export function findPackage(pkg: string, cwd: string): InstalledPackage | undefined {
  for (const from of [CLI_DIR, cwd]) {
    const found = findFrom(pkg, from);
    if (found) return { ...found, from };
  }
  return undefined;
}
