import type { Stats } from 'node:fs';
import { type FileHandle, open, readlink } from 'node:fs/promises';
import { ConfigurationError, type FileInfo, FileNotFoundError, type FileType } from '@berth/core';
import { fileError, isErrno, linkRefused } from './file-errors.js';
import type { Place } from './file-places.js';
import { type HeldDir, READ_FILE, walk } from './held-dir.js';

const CHUNK = 256 * 1024;

export function typeOf(info: Stats): FileType {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  return 'other';
}

export function infoOf(info: Stats, path: string, linkTarget?: string): FileInfo {
  const type = typeOf(info);
  return {
    name: path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1),
    path,
    type,
    size: type === 'file' ? info.size : 0,
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
    modifiedAt: info.mtime,
    ...(linkTarget === undefined ? {} : { linkTarget }),
  };
}

/** The directory holding the entry `place` names, and the entry's name there. */
export async function parentOf(place: Place): Promise<{ dir: HeldDir; name: string }> {
  const name = place.names.at(-1) as string;
  return { dir: await walk(place.base, place.names.slice(0, -1)), name };
}

/** The entry `name` of `dir` as FileInfo (a link described, never followed); undefined if none. */
export async function entryInfo(dir: HeldDir, name: string): Promise<FileInfo | undefined> {
  const info = await dir.lstat(name);
  if (!info) return undefined;
  const link = info.isSymbolicLink()
    ? await readlink(dir.at(name)).catch(() => undefined)
    : undefined;
  return infoOf(info, dir.childPath(name), link);
}

/** The entry at the place (a link not followed); null when there is none. */
export async function statAt(place: Place): Promise<FileInfo | null> {
  if (place.names.length === 0) return infoOf(await place.base.stat(), place.path);
  let parent: { dir: HeldDir; name: string };
  try {
    parent = await parentOf(place);
  } catch (error) {
    if (FileNotFoundError.isInstance(error)) return null;
    throw error;
  }
  try {
    return (await entryInfo(parent.dir, parent.name)) ?? null;
  } finally {
    await parent.dir.close();
  }
}

async function* chunksOf(handle: FileHandle): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(CHUNK), 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * A regular file opened for reading, then checked to be one by its handle: a link in its place is
 * refused, a FIFO never waited on, a device never read.
 */
export async function openRegular(dir: HeldDir, name: string): Promise<FileHandle> {
  const path = dir.childPath(name);
  let handle: FileHandle;
  try {
    handle = await open(dir.at(name), READ_FILE);
  } catch (error) {
    if (isErrno(error, 'ELOOP')) throw linkRefused(path);
    throw fileError(error, dir.containerId, path);
  }
  const info = await handle.stat();
  if (info.isFile()) return handle;
  await handle.close();
  if (info.isDirectory()) {
    throw new ConfigurationError(`readFile: ${path} is a directory (use listFiles or download)`);
  }
  throw new ConfigurationError(`readFile: ${path} is a ${typeOf(info)}, not a regular file`);
}

/** The file at the place, as a stream read as it is consumed. */
export async function readAt(place: Place): Promise<AsyncIterable<Uint8Array>> {
  if (place.names.length === 0) {
    throw new ConfigurationError(
      `readFile: ${place.path} is a directory (use listFiles or download)`,
    );
  }
  const { dir, name } = await parentOf(place);
  try {
    return chunksOf(await openRegular(dir, name));
  } finally {
    await dir.close();
  }
}

async function listDir(dir: HeldDir): Promise<FileInfo[]> {
  const found: FileInfo[] = [];
  for (const name of await dir.names()) {
    // Gone since it was listed: not there.
    const info = await entryInfo(dir, name);
    if (info) found.push(info);
  }
  return found;
}

/** A directory's entries; for anything else, the entry itself. */
export async function listAt(place: Place): Promise<FileInfo[]> {
  if (place.names.length === 0) {
    const dir = await place.base.again();
    try {
      return await listDir(dir);
    } finally {
      await dir.close();
    }
  }
  const { dir, name } = await parentOf(place);
  try {
    const info = await entryInfo(dir, name);
    if (!info) throw new FileNotFoundError(place.containerId, place.path);
    if (info.type !== 'directory') return [info];
    const inner = await dir.openDir(name);
    try {
      return await listDir(inner);
    } finally {
      await inner.close();
    }
  } finally {
    await dir.close();
  }
}
