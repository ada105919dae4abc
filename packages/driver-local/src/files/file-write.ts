import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { ConfigurationError, FileNotFoundError, FileSystemError } from '@berth/core';
import { fileError, isErrno, UnsafeFileError } from './file-errors.js';
import {
  containerOwner,
  type Owner,
  type Owners,
  refuseForeignPrivilege,
  settle,
} from './file-owners.js';
import { inside, type Place } from './file-places.js';
import { parentOf, typeOf } from './file-read.js';
import { type DirMaker, type HeldDir, NEW_FILE, walk } from './held-dir.js';

export function refuseReadOnly(place: Place): void {
  if (place.readOnly) {
    throw new FileSystemError(`Read-only file system: ${place.path} (a read-only mount)`);
  }
}

/**
 * Makes directory `name` in `dir` and returns it held open. Made 0700 and given its owner and
 * mode only through its handle once opened again, without following a link: what the container
 * may swap in for it meanwhile is refused, never chowned. One made by someone else first is
 * left as it is.
 */
export async function makeDirIn(
  dir: HeldDir,
  name: string,
  mode: number,
  owner: Owner | undefined,
  owners: Owners,
): Promise<HeldDir> {
  const path = dir.childPath(name);
  try {
    await mkdir(dir.at(name), { mode: 0o700 });
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return dir.openDir(name);
    throw fileError(error, dir.containerId, path);
  }
  const made = await dir.openDir(name);
  try {
    await settle(made.handle, owner ?? containerOwner(owners, await dir.stat()), mode);
    return made;
  } catch (error) {
    await made.close();
    throw fileError(error, dir.containerId, path);
  }
}

/** Missing parents, made as the kit makes them: 0755, the container's user's. */
export function parentMaker(owners: Owners): DirMaker {
  return (dir, name) => makeDirIn(dir, name, 0o755, undefined, owners);
}

/** A name nobody else has in a directory: random, and hidden from a plain `ls`. */
export function tempName(): string {
  return `.berth-${randomBytes(8).toString('hex')}.tmp`;
}

/**
 * Puts a new file at `name` in `dir`: written under a fresh name nobody else has (O_EXCL,
 * never through a link), given its owner and mode by handle, then renamed over `name`. So a link
 * or a hard link left at `name` is replaced, never written through, and a reader sees the old
 * file or the new one, never half of it.
 */
export async function replaceFile(
  dir: HeldDir,
  name: string,
  fill: (handle: FileHandle) => Promise<void>,
  owner: Owner,
  mode: number,
  modifiedAt?: Date,
): Promise<void> {
  const path = dir.childPath(name);
  const temp = tempName();
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir.at(temp), NEW_FILE, 0o600);
    await fill(handle);
    await settle(handle, owner, mode);
    if (modifiedAt) await handle.utimes(modifiedAt, modifiedAt);
    await handle.close();
    handle = undefined;
    await rename(dir.at(temp), dir.at(name));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(dir.at(temp)).catch(() => undefined);
    throw fileError(error, dir.containerId, path);
  }
}

export interface WriteOptions {
  mode: number;
  owner?: Owner;
}

export async function writeAt(
  place: Place,
  data: AsyncIterable<Uint8Array>,
  options: WriteOptions,
  owners: Owners,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (place.names.length === 0) {
    throw new ConfigurationError(`writeFile: ${place.path} is a directory`);
  }
  refuseReadOnly(place);
  const name = place.names.at(-1) as string;
  const dir = await walk(place.base, place.names.slice(0, -1), parentMaker(owners));
  try {
    const owner = options.owner ?? containerOwner(owners, await dir.stat());
    refuseForeignPrivilege(place.path, 'file', options.mode, owner, owners);
    if ((await dir.lstat(name))?.isDirectory()) {
      throw new ConfigurationError(`writeFile: ${place.path} is a directory`);
    }
    await replaceFile(
      dir,
      name,
      (handle) => handle.writeFile(data, signal ? { signal } : {}),
      owner,
      options.mode,
    );
  } finally {
    await dir.close();
  }
}

export async function makeDirAt(
  place: Place,
  options: { mode: number; owner?: Owner; parents: boolean },
  owners: Owners,
): Promise<void> {
  // A root or a mount point: there already.
  if (place.names.length === 0) return;
  refuseReadOnly(place);
  const name = place.names.at(-1) as string;
  const maker = options.parents ? parentMaker(owners) : undefined;
  const dir = await walk(place.base, place.names.slice(0, -1), maker);
  try {
    const existing = await dir.lstat(name);
    if (existing?.isDirectory()) return;
    if (existing) {
      throw new ConfigurationError(`${place.path} is a ${typeOf(existing)}, not a directory`);
    }
    await (await makeDirIn(dir, name, options.mode, options.owner, owners)).close();
  } finally {
    await dir.close();
  }
}

async function unlinkIn(dir: HeldDir, name: string): Promise<void> {
  try {
    await unlink(dir.at(name));
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw fileError(error, dir.containerId, dir.childPath(name));
  }
}

/**
 * Removes directory `name` of `dir` and everything in it, each directory opened by handle from
 * its parent's: a link met anywhere is removed as a link, never descended into, even one swapped
 * in for a directory after it was looked at.
 */
async function removeTree(dir: HeldDir, name: string, signal: AbortSignal | undefined) {
  let inner: HeldDir;
  try {
    inner = await dir.openDir(name);
  } catch (error) {
    if (FileNotFoundError.isInstance(error)) return;
    if (UnsafeFileError.isInstance(error) || ConfigurationError.isInstance(error)) {
      return unlinkIn(dir, name);
    }
    throw error;
  }
  try {
    for (const entry of await inner.names()) {
      signal?.throwIfAborted();
      const info = await inner.lstat(entry);
      if (info?.isDirectory()) await removeTree(inner, entry, signal);
      else if (info) await unlinkIn(inner, entry);
    }
  } finally {
    await inner.close();
  }
  try {
    await rmdir(dir.at(name));
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw fileError(error, dir.containerId, dir.childPath(name));
  }
}

export async function removeAt(
  place: Place,
  options: { recursive: boolean; force: boolean },
  signal: AbortSignal | undefined,
): Promise<void> {
  const mount = place.mountPoints.find(
    (m) => m === place.path || (options.recursive && inside(m, place.path)),
  );
  if (place.names.length === 0 || mount !== undefined) {
    const which =
      mount === undefined || mount === place.path
        ? "is where one of the container's file systems is mounted"
        : `holds ${mount}, where one of the container's file systems is mounted`;
    throw new FileSystemError(
      `${place.path} ${which}: it cannot be removed (remove what it holds instead)`,
    );
  }
  refuseReadOnly(place);
  let parent: { dir: HeldDir; name: string };
  try {
    parent = await parentOf(place);
  } catch (error) {
    if (options.force && FileNotFoundError.isInstance(error)) return;
    throw error;
  }
  const { dir, name } = parent;
  try {
    const info = await dir.lstat(name);
    if (!info) {
      if (options.force) return;
      throw new FileNotFoundError(place.containerId, place.path);
    }
    if (!info.isDirectory()) {
      await unlinkIn(dir, name);
    } else if (options.recursive) {
      await removeTree(dir, name, signal);
    } else {
      await rmdir(dir.at(name)).catch((error: unknown) => {
        throw fileError(error, place.containerId, place.path);
      });
    }
  } finally {
    await dir.close();
  }
}
