import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir } from 'node:fs/promises';
import { ConfigurationError, FileNotFoundError } from '@berth/core';
import { fileError, isErrno, linkRefused } from './file-errors.js';

/** A directory, never through a link in its last name. */
const DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/**
 * A file to read: never through a link, without waiting for a writer on a FIFO or taking a
 * terminal; what was opened is checked to be a regular file before a byte is read.
 */
export const READ_FILE =
  constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
/** A file of the driver's own making, under a name nobody else has. */
export const NEW_FILE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function checkName(name: string): void {
  // Every name comes from a checked path, an archive member checked the same way, or readdir;
  // this is the last line, not the check.
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`not a single file name: ${JSON.stringify(name)}`);
  }
}

export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/**
 * A directory of a container held open by handle: everything below it is reached from the
 * handle one name at a time, as openat(2) would (Node has none). A name is looked up as
 * /proc/self/fd/<fd>/<name>: the kernel jumps to the very directory the handle holds, without
 * looking up the path it was opened by again, then looks up that one name there. So whatever a
 * container renames or swaps meanwhile, each lookup starts from a directory already checked,
 * and every open refuses a link in its last name: nothing is ever resolved against the driver's
 * own root, which is what an absolute link would otherwise be followed from.
 */
export class HeldDir {
  private constructor(
    readonly handle: FileHandle,
    /** The path inside the container, for messages. */
    readonly path: string,
    readonly containerId: string,
  ) {}

  /** Takes over an open directory handle. */
  static adopt(handle: FileHandle, path: string, containerId: string): HeldDir {
    return new HeldDir(handle, path, containerId);
  }

  /** The path the kernel resolves to `name` in this directory, and only there. */
  at(name: string): string {
    checkName(name);
    return `/proc/self/fd/${this.handle.fd}/${name}`;
  }

  /** Where the handle's own directory is, for calls that take a path (readdir). */
  get self(): string {
    return `/proc/self/fd/${this.handle.fd}`;
  }

  childPath(name: string): string {
    return childPath(this.path, name);
  }

  /** The entry `name` itself (a link not followed); undefined when there is none. */
  async lstat(name: string): Promise<Stats | undefined> {
    try {
      return await lstat(this.at(name));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw fileError(error, this.containerId, this.childPath(name));
    }
  }

  stat(): Promise<Stats> {
    return this.handle.stat();
  }

  /** Its entries' names, sorted. */
  async names(): Promise<string[]> {
    try {
      return (await readdir(this.self)).sort();
    } catch (error) {
      throw fileError(error, this.containerId, this.path);
    }
  }

  /**
   * Directory `name` in this one, held open. A link there is refused, and so is anything not a
   * directory, including what was swapped in for one since it was last looked at.
   */
  async openDir(name: string): Promise<HeldDir> {
    const path = this.childPath(name);
    try {
      return new HeldDir(await open(this.at(name), DIRECTORY), path, this.containerId);
    } catch (error) {
      // O_DIRECTORY with O_NOFOLLOW says ENOTDIR for a link: look again to say which it was.
      if (isErrno(error, 'ENOTDIR') || isErrno(error, 'ELOOP')) {
        const found = await this.lstat(name);
        if (found?.isSymbolicLink()) throw linkRefused(path);
        throw new ConfigurationError(`${path} is not a directory`);
      }
      if (isErrno(error, 'ENOENT')) throw new FileNotFoundError(this.containerId, path);
      throw fileError(error, this.containerId, path);
    }
  }

  /** This directory once more, as a handle of its own (`.` names the directory itself). */
  async again(): Promise<HeldDir> {
    return new HeldDir(await open(`${this.self}/.`, DIRECTORY), this.path, this.containerId);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** Makes directory `name` in `dir` when a walk finds it missing, and returns it held open. */
export type DirMaker = (dir: HeldDir, name: string) => Promise<HeldDir>;

/**
 * The directory `names` lead to from `base`, opened one name at a time (a handle of its own even
 * for no names: the caller closes it, never `base`). `make` makes one that is missing; without
 * it a missing one is a FileNotFoundError.
 */
export async function walk(base: HeldDir, names: string[], make?: DirMaker): Promise<HeldDir> {
  let dir = await base.again();
  try {
    for (const name of names) {
      let next: HeldDir;
      try {
        next = await dir.openDir(name);
      } catch (error) {
        if (!make || !FileNotFoundError.isInstance(error)) throw error;
        next = await make(dir, name);
      }
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (error) {
    await dir.close();
    throw error;
  }
}
