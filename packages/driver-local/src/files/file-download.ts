import type { Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import {
  ConfigurationError,
  FileNotFoundError,
  packTar,
  ResourceLimitError,
  type TarMember,
} from '@berth/core';
import { UnsafeFileError } from './file-errors.js';
import { KERNEL_DIRS, type Place } from './file-places.js';
import { openRegular, parentOf, typeOf } from './file-read.js';
import type { HeldDir } from './held-dir.js';

/**
 * The most bytes of one file a download holds: core's packTar takes each member's body whole,
 * so a file is read into memory before it is sent; beyond this, readFileStream streams it. The
 * same as readTar's default limit on the other side.
 */
export const MAX_DOWNLOAD_FILE = 256 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

function member(path: string, info: Stats, data = EMPTY, linkTarget?: string): TarMember {
  return {
    entry: {
      path,
      type: typeOf(info),
      mode: info.mode & 0o7777,
      uid: info.uid,
      gid: info.gid,
      size: data.byteLength,
      modifiedAt: info.mtime,
      ...(linkTarget === undefined ? {} : { linkTarget }),
    },
    data,
  };
}

async function fileMember(dir: HeldDir, name: string, path: string): Promise<TarMember> {
  const handle = await openRegular(dir, name);
  try {
    const info = await handle.stat();
    if (info.size > MAX_DOWNLOAD_FILE) {
      throw new ResourceLimitError(
        `download bytes of ${dir.childPath(name)} (use readFileStream for a file this large)`,
        MAX_DOWNLOAD_FILE,
        info.size,
      );
    }
    return member(path, info, new Uint8Array(await handle.readFile()));
  } finally {
    await handle.close();
  }
}

/** An entry that changed since it was listed (a directory swapped for a link, say): left out. */
function changed(error: unknown): boolean {
  return (
    FileNotFoundError.isInstance(error) ||
    UnsafeFileError.isInstance(error) ||
    ConfigurationError.isInstance(error)
  );
}

/**
 * Directory `dir` (closed when done) and everything under it, depth first, each directory
 * opened by handle from its parent's and no link ever followed: links are members of their
 * own. Sockets, FIFOs and devices are left out, and so are /proc, /dev and /sys below the root.
 */
async function* treeMembers(
  dir: HeldDir,
  path: string,
  atRoot: boolean,
): AsyncGenerator<TarMember> {
  try {
    yield member(path, await dir.stat());
    for (const name of await dir.names()) {
      if (atRoot && KERNEL_DIRS.includes(name)) continue;
      const info = await dir.lstat(name);
      const inner = `${path}/${name}`;
      try {
        if (info?.isDirectory()) {
          yield* treeMembers(await dir.openDir(name), inner, false);
        } else if (info?.isSymbolicLink()) {
          yield member(inner, info, EMPTY, await readlink(dir.at(name)));
        } else if (info?.isFile()) {
          yield await fileMember(dir, name, inner);
        }
      } catch (error) {
        if (!changed(error)) throw error;
      }
    }
  } finally {
    await dir.close();
  }
}

async function* one(found: TarMember): AsyncGenerator<TarMember> {
  yield found;
}

/**
 * The entry at the place as a tar stream: a file, a link, or a directory with everything in
 * it, under the entry's own name (`.` for the root). Whether it exists is known before this
 * returns; the rest is read as the stream is consumed.
 */
export async function downloadAt(place: Place): Promise<AsyncIterable<Uint8Array>> {
  const rootName = place.path === '/' ? '.' : place.path.slice(place.path.lastIndexOf('/') + 1);
  if (place.names.length === 0) {
    return packTar(treeMembers(await place.base.again(), rootName, place.path === '/'));
  }
  const { dir, name } = await parentOf(place);
  try {
    const info = await dir.lstat(name);
    if (!info) throw new FileNotFoundError(place.containerId, place.path);
    if (info.isDirectory()) return packTar(treeMembers(await dir.openDir(name), rootName, false));
    if (info.isSymbolicLink()) {
      return packTar(one(member(rootName, info, EMPTY, await readlink(dir.at(name)))));
    }
    if (info.isFile()) return packTar(one(await fileMember(dir, name, rootName)));
    throw new ConfigurationError(`download: ${place.path} is a ${typeOf(info)}, not a file`);
  } finally {
    await dir.close();
  }
}
