import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';
import { ConfigurationError, type ValidationIssue, type VolumeMount } from '@berth/core';
import type { BindMount, RootEntry } from './sandbox-command.js';

// The sandbox makes these itself; mounting over them would hide /proc, /dev or /sys.
const RESERVED_TARGETS = ['/proc', '/dev', '/sys'];

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

export interface MountContext {
  allowedRoots: string[];
  rootEntries: RootEntry[];
  /** Whether the sandbox root is read-only (then /tmp is a private tmpfs). */
  readOnly: boolean;
  /** Host directory of a named volume, creating the volume when it does not exist. */
  volumeDir: (name: string) => Promise<string>;
}

/**
 * Turns the config's mounts into bind mounts with checked, real host paths. A bind source must
 * resolve, symlinks and all, inside one of the allowed roots: `..` or a symlink that leads out
 * is a ConfigurationError, and the real path (not the one given) is what gets mounted.
 */
export async function resolveMounts(
  volumes: VolumeMount[],
  context: MountContext,
): Promise<BindMount[]> {
  const issues: ValidationIssue[] = [];
  const mounts: BindMount[] = [];
  const problem = (index: number, key: string, message: string) =>
    issues.push({ path: ['volumes', index, key], message, stage: 'security' });

  for (const [index, volume] of volumes.entries()) {
    const target = normalize(volume.target);
    if (target !== volume.target.replace(/\/+$/, '') && volume.target !== '/') {
      problem(index, 'target', `target '${volume.target}' is not a normalised absolute path`);
      continue;
    }
    if (target === '/' || RESERVED_TARGETS.some((r) => inside(target, r))) {
      problem(index, 'target', `cannot mount over '${target}'`);
      continue;
    }
    const top = target.split('/')[1] ?? '';
    const topEntry = context.rootEntries.find((e) => e.name === top);
    const onTmpfs = top === 'tmp' && context.readOnly;
    // Inside a directory bound from the host nothing can be created, so the target must exist.
    if (topEntry && !onTmpfs && target !== `/${top}` && !(await isDirectory(target))) {
      if (!mounts.some((m) => inside(target, m.target))) {
        problem(
          index,
          'target',
          `'${target}' does not exist on this host; the local driver mounts only at existing paths or under a new top-level directory`,
        );
        continue;
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
      if (context.allowedRoots.length === 0) {
        problem(
          index,
          'source',
          `bind mounts are disabled: create the driver with allowedRoots to allow sources under them`,
        );
        continue;
      }
      if (!context.allowedRoots.some((root) => inside(source, root))) {
        problem(
          index,
          'source',
          `bind source '${volume.source}' resolves to '${source}', outside the allowed roots (${context.allowedRoots.join(', ')})`,
        );
        continue;
      }
    } else {
      source = await context.volumeDir(volume.source);
    }
    mounts.push({ source, target, readOnly: volume.readOnly });
  }
  if (issues.length > 0) {
    throw new ConfigurationError(
      `Invalid mounts (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues
        .map((i) => `  - ${i.path.join('.')}: ${i.message}`)
        .join('\n')}`,
      issues,
    );
  }
  return mounts;
}
