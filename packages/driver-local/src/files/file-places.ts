import { constants } from 'node:fs';
import { type FileHandle, open, readlink } from 'node:fs/promises';
import { ConflictError, FileSystemError, UnsupportedFeatureError } from '@berth/core';
import { type ContainerSnapshot, isLive } from '../containers/container-snapshot.js';
import type { BindMount } from '../isolation/sandbox-command.js';
import { UnsafeFileError } from './file-errors.js';
import { HeldDir } from './held-dir.js';
import { sandboxRoot } from './sandbox-root.js';

/** The kernel's interfaces in a sandbox: never served as files, whatever the call. */
export const KERNEL_DIRS = ['proc', 'dev', 'sys'];

/**
 * Where a container path is: a directory held open to start from, and the names from there. A
 * running container's paths start at its sandbox's root, so they are what it sees; a stopped
 * one's start at the host directory of a place that outlives its runs.
 */
export interface Place {
  containerId: string;
  path: string;
  base: HeldDir;
  /** From `base` to the entry; none when the path is `base` itself (a root or a mount point). */
  names: string[];
  /**
   * Writes are refused here by the driver: a read-only mount of a container that is not running.
   * While it runs, the kernel refuses them itself, as it does for the container.
   */
  readOnly: boolean;
  /**
   * Where the container's other file systems are mounted in its view: removing one, or what
   * holds one, would empty that file system too (its work directory, a volume), so it is refused.
   */
  mountPoints: string[];
}

export interface PlaceContext {
  /** The container's work directory on the host, and where it sees it. */
  workDir: string;
  bwrap: string | undefined;
  /** Its bind sources checked again, as a start checks them. */
  recheckMounts: () => Promise<BindMount[]>;
  /** The container as it is now, for one that stopped while its sandbox was looked for. */
  reload: () => Promise<ContainerSnapshot>;
}

function segments(path: string): string[] {
  return path.split('/').filter(Boolean);
}

export function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? root : `${root}/`);
}

export function refuseKernelPath(path: string): void {
  const top = segments(path)[0];
  if (top !== undefined && KERNEL_DIRS.includes(top)) {
    throw new UnsafeFileError(
      'kernel',
      `${path} is in /${top}, the kernel's interface inside the sandbox, not a file of the container: the local driver does not read or write there (use exec)`,
    );
  }
}

/** Where `path` of the container is now; the caller closes `place.base`. */
export async function placeOf(
  snapshot: ContainerSnapshot,
  path: string,
  ctx: PlaceContext,
): Promise<Place> {
  refuseKernelPath(path);
  const { record, run } = snapshot;
  if (isLive(snapshot.status) && run) {
    if (!run.sandboxed) {
      // Its view is the host's own: there is nothing to confine a path to.
      throw new UnsupportedFeatureError(
        { feature: 'files', path: 'files', reason: 'the container runs without a sandbox' },
        'Files are only served for containers in a bubblewrap sandbox: restart it on a host where bubblewrap runs.',
      );
    }
    const base = await sandboxRoot(run, ctx.bwrap, record.id);
    if (base) {
      const mountPoints = [
        ctx.workDir,
        ...record.mounts.map((m) => m.target),
        ...record.overlays.map((o) => o.dir),
        '/tmp',
        '/etc',
      ];
      return {
        containerId: record.id,
        path,
        base,
        names: segments(path),
        readOnly: false,
        mountPoints,
      };
    }
    const now = await ctx.reload();
    if (!isLive(now.status)) return persistentPlace(now, path, ctx);
    throw new ConflictError(
      `Container ${record.id} is ${now.status} but its sandbox cannot be found (is it ending?): try again`,
    );
  }
  return persistentPlace(snapshot, path, ctx);
}

interface Persistent {
  target: string;
  source: string;
  readOnly: boolean;
}

/**
 * A path of a container that is not running: in its work directory or one of its mounts, the
 * places that outlive a run. The rest of what it sees (its root, its /tmp, the host's system
 * directories) is made by its sandbox at each start and gone while it does not run.
 */
async function persistentPlace(
  snapshot: ContainerSnapshot,
  path: string,
  ctx: PlaceContext,
): Promise<Place> {
  const { record } = snapshot;
  const mounts = record.mounts.length > 0 ? await ctx.recheckMounts() : [];
  const places: Persistent[] = [
    { target: ctx.workDir, source: ctx.workDir, readOnly: false },
    ...mounts,
  ];
  const place = places
    .filter((p) => inside(path, p.target))
    .sort((a, b) => b.target.length - a.target.length)[0];
  if (!place) {
    const kept = places.map((p) => p.target).join(', ');
    throw new ConflictError(
      `Container ${record.id} is ${snapshot.status}: ${path} is made by its sandbox when it starts (its root, /tmp and the host's system directories are there only while it runs). What a container keeps between runs is its work directory and its mounts (${kept}): use a path there, or start it first.`,
    );
  }
  const base = await openSource(place.source, record.id, place.target);
  return {
    containerId: record.id,
    path,
    base,
    names: segments(path.slice(place.target.length)),
    readOnly: place.readOnly,
    mountPoints: places.map((p) => p.target),
  };
}

/**
 * A host directory behind a place, opened without following a link in its last name and checked
 * to be the very path that was checked (a link swapped in for any component since would resolve
 * elsewhere), as a start mounts it.
 */
async function openSource(source: string, containerId: string, target: string): Promise<HeldDir> {
  let handle: FileHandle;
  try {
    handle = await open(source, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') {
      throw new ConflictError(
        `${target} of container ${containerId} is a file bound from the host: it is reached only while the container runs`,
      );
    }
    throw new FileSystemError(
      `the host directory behind ${target} (${source}) cannot be opened: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  if (opened !== source) {
    await handle.close();
    throw new UnsafeFileError(
      'link',
      `the host directory behind ${target} (${source}) now resolves to ${opened ?? 'nothing'}: nothing was read or written`,
    );
  }
  return HeldDir.adopt(handle, target, containerId);
}
