import type { IncomingMessage } from 'node:http';
import { ConfigurationError, type FileInfo, FileNotFoundError, type FileType } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type { EngineSession } from '../engine/session.js';
import { type FilesTarget, filesTarget, getArchive } from './archive.js';
import { baseName, joinPath, walkExisting } from './path-chain.js';
import { type TarHeader, TarReader } from './tar-reader.js';

/*
 * Reads through the archive endpoint, whose answer is streamed: a file's bytes go to the caller
 * as the engine sends them, a listing passes over the bodies of what it lists without holding
 * them. A link is what is read, never where it leads.
 */

function infoOf(header: TarHeader, path: string, type: FileType, size = header.size): FileInfo {
  return {
    name: baseName(path),
    path,
    type,
    size,
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    modifiedAt: new Date(header.mtime * 1000),
    ...(type === 'symlink' ? { linkTarget: header.linkName } : {}),
  };
}

const typeOf = (header: TarHeader): FileType => (header.type === 'hardlink' ? 'file' : header.type);

/** The path's archive and its first member (the path itself), or not found. */
async function opened(
  t: FilesTarget,
  path: string,
): Promise<{ response: IncomingMessage; reader: TarReader; root: TarHeader }> {
  const response = await getArchive(t, path);
  // With the signal: an abort ends a read with its reason, not with the socket's reset.
  const reader = new TarReader(response, t.signal);
  try {
    const root = await reader.next();
    if (!root) throw new FileNotFoundError(t.id, path);
    return { response, reader, root };
  } catch (error) {
    response.destroy();
    throw error;
  }
}

/**
 * One path's entry: the first header of its archive, the rest never read (a HEAD would be
 * cheaper, but tells no owner). Links on the way are not checked here: the kit asks this while
 * it walks up a path to write, and the write that follows refuses them.
 */
export async function stat(
  session: EngineSession,
  id: string,
  path: string,
  ctx: PrimitiveContext,
): Promise<FileInfo | null> {
  const t = await filesTarget(session, id, ctx);
  try {
    const { response, root } = await opened(t, path);
    response.destroy();
    return infoOf(root, path, typeOf(root));
  } catch (error) {
    if (FileNotFoundError.isInstance(error)) return null;
    throw error;
  }
}

async function* bodyOf(reader: TarReader, response: IncomingMessage): AsyncGenerator<Uint8Array> {
  try {
    yield* reader.body();
  } finally {
    // The engine may still be sending padding and the end of the archive: not waited for.
    response.destroy();
  }
}

export async function readFile(
  session: EngineSession,
  id: string,
  path: string,
  ctx: PrimitiveContext,
): Promise<AsyncIterable<Uint8Array>> {
  const t = await filesTarget(session, id, ctx);
  const found = await walkExisting(t, path, 'readFile');
  const directory = () =>
    new ConfigurationError(`readFile: ${path} is a directory (use listFiles or download)`);
  // Said before the engine starts archiving a whole tree for nothing.
  if (found.type === 'directory') throw directory();
  const { response, reader, root } = await opened(t, path);
  if (root.type !== 'file') {
    response.destroy();
    if (root.type === 'directory') throw directory();
    const what =
      root.type === 'symlink'
        ? `a symbolic link (to ${root.linkName}; links are never followed: read the target)`
        : `a ${root.type}`;
    throw new ConfigurationError(`readFile: ${path} is ${what}, not a regular file`);
  }
  return bodyOf(reader, response);
}

/**
 * A directory's direct entries (or a file's own), from the headers of its archive. The engine
 * archives the whole tree below it, so a big tree costs its size in transfer, not in memory.
 */
export async function listFiles(
  session: EngineSession,
  id: string,
  path: string,
  ctx: PrimitiveContext,
): Promise<FileInfo[]> {
  const t = await filesTarget(session, id, ctx);
  await walkExisting(t, path, 'listFiles');
  const { response, reader, root } = await opened(t, path);
  try {
    if (root.type !== 'directory') return [infoOf(root, path, typeOf(root))];
    // The engine names members after the path's base name (`/` itself for the root).
    const prefix = root.name.endsWith('/') ? root.name : `${root.name}/`;
    const sizes = new Map<string, number>();
    const found: FileInfo[] = [];
    for (let header = await reader.next(); header; header = await reader.next()) {
      if (header.type === 'file') sizes.set(header.name, header.size);
      if (!header.name.startsWith(prefix)) continue;
      const name = header.name.slice(prefix.length).replace(/\/$/, '');
      if (name === '' || name.includes('/')) continue;
      // A file met again in the tree comes as a hard link to its first name: it is a file.
      const size = header.type === 'hardlink' ? (sizes.get(header.linkName) ?? 0) : header.size;
      found.push(infoOf(header, joinPath(path, name), typeOf(header), size));
    }
    return found;
  } finally {
    response.destroy();
  }
}

async function* relayed(
  response: IncomingMessage,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  try {
    yield* response;
  } catch (error) {
    // An abort resets the socket: the caller hears its own reason, not ECONNRESET.
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    response.destroy();
  }
}

/**
 * The engine's archive of the path as it sends it: a link in it as a link, member names from
 * the path's base name (`/`-prefixed for the root itself).
 */
export async function download(
  session: EngineSession,
  id: string,
  path: string,
  ctx: PrimitiveContext,
): Promise<AsyncIterable<Uint8Array>> {
  const t = await filesTarget(session, id, ctx);
  await walkExisting(t, path, 'download');
  return relayed(await getArchive(t, path), t.signal);
}
