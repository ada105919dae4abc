import { createRequire } from 'node:module';

/*
 * The package's version, read from its package.json at run time rather than copied in by the
 * build, so it is always the installed package's. The path is the same from src/ (tests) and
 * from dist/ (the built package, where this module is bundled into index.js): one level
 * below the package root either way, which is why this module lives at the top of src/.
 */
function readVersion(): string {
  const manifest: unknown = createRequire(import.meta.url)('../package.json');
  if (
    typeof manifest === 'object' &&
    manifest !== null &&
    'version' in manifest &&
    typeof manifest.version === 'string'
  ) {
    return manifest.version;
  }
  throw new Error('@berth/driver-local: its package.json names no version');
}

/** The version of @berth/driver-local, as its package.json says. */
export const PACKAGE_VERSION: string = readVersion();
