import { ConfigurationError, FileNotFoundError } from '@berth/core';
import { type FilesTarget, headPath, type PathStat } from './archive.js';

/*
 * The engine follows links in a path, inside the container: safe for the host, but a link a
 * container's process planted (`/work/out -> /etc`) would still turn a write the caller aimed
 * at /work/out into a root-owned write to /etc. So every directory on the way is asked for
 * first, and a link among them refuses the call. What is left is a race: a process swapping a
 * directory for a link between these questions and the call itself (which the engine still
 * resolves inside the container).
 */

/** `/a/b/c` → `['/a', '/a/b']`: the directories a path goes through, `/` left out. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

export function parentOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '/' : path.slice(0, at);
}

export function baseName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

/** `path` relative to directory `base`, which holds it. */
export function relativeTo(base: string, path: string): string {
  return base === '/' ? path.slice(1) : path.slice(base.length + 1);
}

export function joinPath(base: string, relative: string): string {
  return base === '/' ? `/${relative}` : `${base}/${relative}`;
}

export interface Chain {
  /** The deepest directory on the way that exists (`/` at least). */
  base: string;
  /** The directories on the way below `base`, which do not exist. */
  missing: string[];
  /** The path itself; null when it is not there. */
  target: PathStat | null;
}

function describe(path: string, stat: PathStat): string {
  return stat.type === 'symlink'
    ? `${path} is a symbolic link (to ${stat.linkTarget} in the container)`
    : `${path} is a ${stat.type === 'other' ? 'special file' : stat.type}, not a directory`;
}

/**
 * Every directory on the way to `path` and the path itself, asked at once. Throws when one of
 * the directories is a link (or not a directory): links in the container are never gone
 * through, so the caller names where they lead instead.
 */
export async function walkPath(t: FilesTarget, path: string, operation: string): Promise<Chain> {
  const on = ancestorsOf(path);
  const [target, ...stats] = await Promise.all([
    headPath(t, path),
    ...on.map((p) => headPath(t, p)),
  ]);
  let base = '/';
  const missing: string[] = [];
  for (const [i, dir] of on.entries()) {
    const stat = stats[i] ?? null;
    if (missing.length > 0 || !stat) {
      missing.push(dir);
      continue;
    }
    if (stat.type !== 'directory') {
      const hint = stat.type === 'symlink' ? ': links are never followed, name the target' : '';
      throw new ConfigurationError(`${operation}: ${describe(dir, stat)}${hint}`);
    }
    base = dir;
  }
  // Below a missing directory nothing exists, whatever a link would have made of the path.
  return { base, missing, target: missing.length > 0 ? null : target };
}

/** The chain of a path that must exist (reads): a missing directory on the way is not found. */
export async function walkExisting(
  t: FilesTarget,
  path: string,
  operation: string,
): Promise<PathStat> {
  const chain = await walkPath(t, path, operation);
  if (!chain.target) throw new FileNotFoundError(t.id, path);
  return chain.target;
}
