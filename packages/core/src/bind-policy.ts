import { posix } from 'node:path';

/*
 * Which host paths a bind mount may show: the one policy every driver applies. Sources must lie
 * inside roots the driver was configured with (none by default: no bind mounts at all), and
 * never show the host's root, configuration, credentials, kernel interfaces or engine state,
 * whatever the roots say.
 */

/**
 * Host paths no bind mount may show. A source inside one of these, or one that contains one (a
 * bind of /var shows /var/run), is refused: the engines' sockets live under /run and /var/run.
 */
export const DENIED_BIND_SOURCES = [
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/root',
  '/run',
  '/var/run',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/containers',
];

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? root : `${root}/`);
}

export interface BindPolicy {
  /** Host directories sources must resolve into; none means no bind mounts. */
  allowedRoots: string[];
  /** Directories of the driver's own that no source may be inside or contain (its state). */
  privateDirs?: string[];
}

/**
 * Why a bind source may not be mounted, or undefined when it may. `given` is the path as the
 * config has it, `source` where it really is (symlinks resolved, where the driver can).
 */
export function bindSourceProblem(
  given: string,
  source: string,
  policy: BindPolicy,
): string | undefined {
  const real = posix.normalize(source);
  if (policy.allowedRoots.length === 0) {
    return 'bind mounts are disabled: create the driver with allowedRoots to allow sources under them';
  }
  if (!policy.allowedRoots.some((root) => inside(real, posix.normalize(root)))) {
    return `bind source '${given}' resolves to '${real}', outside the allowed roots (${policy.allowedRoots.join(', ')})`;
  }
  const denied = [...DENIED_BIND_SOURCES, ...(policy.privateDirs ?? [])].find(
    (path) => real === '/' || inside(real, path) || inside(path, real),
  );
  if (denied !== undefined) {
    return `bind source '${given}' resolves to '${real}', which is or holds '${denied}': host system, engine and driver state directories are never mounted`;
  }
  return undefined;
}
