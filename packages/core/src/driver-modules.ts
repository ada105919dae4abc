import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getErrorMessage } from './errors/index.js';

const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const DRIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A driver addressed as `package` or `package/name`. */
export interface DriverAddress {
  pkg: string;
  /** The driver within the package, when the address names one. */
  name?: string;
}

/**
 * Splits `pkg`, `pkg/name`, `@scope/pkg` and `@scope/pkg/name`: a scoped package's own name
 * holds one slash, so only a slash after that one starts the driver's name. Undefined when
 * the text is no such address.
 */
export function parseDriverAddress(text: string): DriverAddress | undefined {
  const parts = text.split('/');
  const packageParts = text.startsWith('@') ? 2 : 1;
  if (parts.length < packageParts || parts.length > packageParts + 1) return undefined;
  const pkg = parts.slice(0, packageParts).join('/');
  if (!PACKAGE_NAME.test(pkg) || pkg.length > 214) return undefined;
  const name = parts[packageParts];
  if (name === undefined) return { pkg };
  return DRIVER_NAME.test(name) && name.length <= 128 ? { pkg, name } : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function exportEntry(exportsField: unknown): string | undefined {
  if (typeof exportsField === 'string') return exportsField;
  if (typeof exportsField !== 'object' || exportsField === null) return undefined;
  const map = exportsField as Record<string, unknown>;
  if ('.' in map) return exportEntry(map['.']);
  for (const condition of ['import', 'node', 'default']) {
    const entry = exportEntry(map[condition]);
    if (entry) return entry;
  }
  return undefined;
}

/*
 * With pnpm's strict layout the core cannot see packages it does not depend on, and drivers
 * are the application's dependencies, not the core's. So after a plain import fails, look the
 * package up from the application's directory the way Node would.
 */
async function importFromDirectory(pkg: string, from: string): Promise<unknown | undefined> {
  let dir = resolve(from);
  for (;;) {
    const root = join(dir, 'node_modules', pkg);
    const manifestPath = join(root, 'package.json');
    if (await exists(manifestPath)) {
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
      const entry =
        exportEntry(manifest.exports) ??
        (typeof manifest.module === 'string' ? manifest.module : undefined) ??
        (typeof manifest.main === 'string' ? manifest.main : 'index.js');
      return import(pathToFileURL(join(root, entry)).href);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isMissingModule(error: unknown, pkg: string): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    getErrorMessage(error).includes(`'${pkg}'`)
  );
}

/** The package's module, or undefined when it is not installed where core or `from` can see. */
export async function loadDriverModule(pkg: string, from: string): Promise<unknown | undefined> {
  try {
    return await import(pkg);
  } catch (error) {
    if (!isMissingModule(error, pkg)) throw error;
  }
  return importFromDirectory(pkg, from);
}
