import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import {
  bindSourceProblem,
  ConfigurationError,
  type ValidationIssue,
  type VolumeMount,
} from '@berth/core';
import type { BindMount, DirectoryOverlay, RootEntry } from './sandbox-command.js';

/**
 * Mount points a container may not use. The sandbox makes /proc, /dev and /sys itself. The rest
 * hold what the driver runs as root inside the container's mount namespace while it sets up a
 * start or an exec (setpriv, the dynamic loader, libc, /etc/ld.so.preload and ld.so.cache): a
 * volume the container can write, mounted there, would run the container's code as root.
 */
const RESERVED_TARGETS = [
  '/proc',
  '/dev',
  '/sys',
  '/etc',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libx32',
  '/usr/libexec',
];

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** The allowed roots with their symlinks resolved, so comparisons are between real paths. */
export async function resolveAllowedRoots(roots: string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const root of roots) {
    if (!isAbsolute(root))
      throw new ConfigurationError(`allowedRoots entry '${root}' is not absolute`);
    try {
      resolved.push(await realpath(root));
    } catch {
      // A root that does not exist allows nothing.
    }
  }
  return resolved;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function deepestExistingDir(path: string): Promise<string> {
  let dir = path;
  while (dir !== '/' && !(await isDirectory(dir))) dir = dirname(dir);
  return dir;
}

/** A directory's entries, to rebuild it inside the sandbox. */
export async function listEntries(dir: string): Promise<RootEntry[]> {
  const entries: RootEntry[] = [];
  for (const name of await readdir(dir)) {
    try {
      const info = await lstat(join(dir, name));
      if (info.isSymbolicLink()) {
        entries.push({ name, kind: 'symlink', target: await readlink(join(dir, name)) });
      } else if (info.isDirectory()) {
        entries.push({ name, kind: 'dir' });
      } else if (info.isFile()) {
        entries.push({ name, kind: 'file' });
      }
    } catch {
      // Gone while listing.
    }
  }
  return entries;
}

export interface MountContext {
  allowedRoots: string[];
  /** Host directories bound read-only into every sandbox, where no mount point can be made. */
  boundDirs: string[];
  /** Directories of the driver's own a bind must neither be inside nor contain (its state). */
  privateDirs: string[];
  /** Host directory of a named volume, creating the volume when it does not exist. */
  volumeDir: (name: string) => Promise<string>;
}

/**
 * The bind mounts of a config checked again, as they resolve now: at every start, because what
 * a path names can change between create and start (a directory swapped for a symlink). The
 * real paths returned are what the supervisor opens and verifies before mounting by handle.
 */
export async function recheckBindMounts(
  volumes: VolumeMount[],
  mounts: BindMount[],
  context: Pick<MountContext, 'allowedRoots' | 'privateDirs'>,
): Promise<BindMount[]> {
  const issues: ValidationIssue[] = [];
  const checked = await Promise.all(
    mounts.map(async (mount, index) => {
      const volume = volumes[index];
      if (volume?.type !== 'bind') return mount;
      let source: string;
      try {
        source = await realpath(volume.source);
      } catch {
        issues.push({
          path: ['volumes', index, 'source'],
          message: `bind source '${volume.source}' no longer exists`,
          stage: 'security',
        });
        return mount;
      }
      const problem = bindSourceProblem(volume.source, source, context);
      if (problem)
        issues.push({ path: ['volumes', index, 'source'], message: problem, stage: 'security' });
      return { ...mount, source };
    }),
  );
  if (issues.length > 0) throw mountError(issues);
  return checked;
}

function mountError(issues: ValidationIssue[]): ConfigurationError {
  return new ConfigurationError(
    `Invalid mounts (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues
      .map((i) => `  - ${i.path.join('.')}: ${i.message}`)
      .join('\n')}`,
    issues,
  );
}

/**
 * Turns the config's mounts into bind mounts with checked, real host paths. A bind source must
 * resolve, symlinks and all, inside one of the allowed roots: `..` or a symlink that leads out
 * is a ConfigurationError, and the real path (not the one given) is what gets mounted.
 */
export async function resolveMounts(
  volumes: VolumeMount[],
  context: MountContext,
): Promise<{ mounts: BindMount[]; overlays: DirectoryOverlay[] }> {
  const issues: ValidationIssue[] = [];
  const mounts: BindMount[] = [];
  const overlays: DirectoryOverlay[] = [];
  const problem = (index: number, key: string, message: string) =>
    issues.push({ path: ['volumes', index, key], message, stage: 'security' });

  for (const [index, volume] of volumes.entries()) {
    const target = normalize(volume.target);
    if (target !== volume.target.replace(/\/+$/, '') && volume.target !== '/') {
      problem(index, 'target', `target '${volume.target}' is not a normalised absolute path`);
      continue;
    }
    // Inside one of them, or holding one (a mount at /usr would hide /usr/bin).
    const reserved = RESERVED_TARGETS.find((r) => inside(target, r) || inside(r, target));
    if (target === '/' || reserved !== undefined) {
      problem(
        index,
        'target',
        `cannot mount over '${target}': ${reserved ?? '/'} holds the system's programs, libraries or configuration; mount somewhere else (e.g. under /mnt, /data or /opt)`,
      );
      continue;
    }
    if (context.boundDirs.some((dir) => inside(target, dir))) {
      // Nothing can be created inside a directory bound from the host, so the deepest existing
      // ancestor is shown as a tmpfs holding its host entries, and the target is made there.
      const ancestor = await deepestExistingDir(target);
      if (ancestor !== target && !overlays.some((o) => o.dir === ancestor)) {
        overlays.push({ dir: ancestor, entries: await listEntries(ancestor) });
      }
    }

    let source: string;
    if (volume.type === 'bind') {
      if (!isAbsolute(volume.source) || volume.source.split('/').includes('..')) {
        problem(index, 'source', `bind source '${volume.source}' must be absolute, without '..'`);
        continue;
      }
      try {
        source = await realpath(volume.source);
      } catch {
        problem(index, 'source', `bind source '${volume.source}' does not exist`);
        continue;
      }
      const refused = bindSourceProblem(volume.source, source, context);
      if (refused) {
        problem(index, 'source', refused);
        continue;
      }
    } else {
      source = await context.volumeDir(volume.source);
    }
    mounts.push({ source, target, readOnly: volume.readOnly });
  }
  if (issues.length > 0) throw mountError(issues);
  return { mounts, overlays };
}
