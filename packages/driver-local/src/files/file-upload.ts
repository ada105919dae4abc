import { randomBytes } from 'node:crypto';
import {
  type FileHandle,
  lchown,
  lutimes,
  mkdir,
  open,
  rename,
  rmdir,
  symlink,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import { FileNotFoundError, readTar, type TarEntry } from '@berth/core';
import { fileError, UnsafeFileError } from './file-errors.js';
import {
  containerOwner,
  type Owner,
  type Owners,
  refuseForeignPrivilege,
  settle,
} from './file-owners.js';
import type { Place } from './file-places.js';
import { makeDirIn, parentMaker, refuseReadOnly, replaceFile, tempName } from './file-write.js';
import { type HeldDir, walk } from './held-dir.js';

const COPY_CHUNK = 1024 * 1024;

/** A member checked and set aside: its names under the directory, its body in the spool. */
interface Staged {
  entry: TarEntry;
  names: string[];
  offset: number;
}

function refused(name: string, why: string): UnsafeFileError {
  return new UnsafeFileError(
    'archive',
    `tar member ${JSON.stringify(name)} ${why}: the archive was refused and nothing of it unpacked`,
  );
}

/** A member's names under the directory it is unpacked into; [] for that directory itself. */
function memberNames(name: string): string[] {
  if (name.startsWith('/')) throw refused(name, 'is an absolute path');
  if (name.includes('\0')) throw refused(name, 'holds a NUL byte');
  const names = name.split('/').filter((part) => part !== '' && part !== '.');
  if (names.includes('..')) throw refused(name, "climbs out with '..'");
  return names;
}

/**
 * Reads the whole archive before anything is unpacked, checking every member, and keeps the
 * bodies in `spool` (a file of the driver's, already unlinked): a member that would land outside
 * the directory (absolute, `..`), below a link the archive itself makes, or as a set-ID file of
 * someone else is found before the first byte is written. Hard links, devices and FIFOs are
 * skipped, as the contract's reference does.
 */
async function stage(
  tar: AsyncIterable<Uint8Array>,
  spool: FileHandle,
  ownership: 'archive' | 'container',
  owners: Owners,
  signal: AbortSignal | undefined,
): Promise<Staged[]> {
  const staged: Staged[] = [];
  const links = new Set<string>();
  let offset = 0;
  for await (const { entry, data } of readTar(tar)) {
    signal?.throwIfAborted();
    if (entry.type === 'other') continue;
    const names = memberNames(entry.path);
    if (names.length === 0) {
      // `.` or `./`: the directory it is unpacked into, which stays as it is.
      if (entry.type === 'directory') continue;
      throw refused(entry.path, 'names the directory it is unpacked into');
    }
    for (let i = 1; i < names.length; i++) {
      const above = names.slice(0, i).join('/');
      if (links.has(above)) throw refused(entry.path, `lies below ${above}, a link of the archive`);
    }
    const path = names.join('/');
    if (entry.type === 'symlink') links.add(path);
    else links.delete(path);
    const owner = ownership === 'archive' ? entry : owners.user;
    refuseForeignPrivilege(entry.path, entry.type, entry.mode, owner, owners);
    staged.push({ entry, names, offset });
    if (entry.type === 'file' && data.byteLength > 0) {
      await writeAll(spool, data, offset);
      offset += data.byteLength;
    }
  }
  return staged;
}

/**
 * The directories along the last member's path, held open: members come depth first, so most
 * need no walk at all. Missing ones are made as the container's own would be.
 */
class DirStack {
  readonly #open: { name: string; dir: HeldDir }[] = [];

  constructor(
    readonly root: HeldDir,
    readonly owners: Owners,
  ) {}

  async at(names: string[]): Promise<HeldDir> {
    let common = 0;
    while (common < this.#open.length && this.#open[common]?.name === names[common]) common++;
    for (const { dir } of this.#open.splice(common)) await dir.close();
    while (this.#open.length < names.length) {
      const parent = this.#open.at(-1)?.dir ?? this.root;
      const name = names[this.#open.length] as string;
      let dir: HeldDir;
      try {
        dir = await parent.openDir(name);
      } catch (error) {
        if (!FileNotFoundError.isInstance(error)) throw error;
        dir = await parentMaker(this.owners)(parent, name);
      }
      this.#open.push({ name, dir });
    }
    return this.#open.at(-1)?.dir ?? this.root;
  }

  async close(): Promise<void> {
    for (const { dir } of this.#open.splice(0)) await dir.close();
  }
}

/** All of `data`, at `position` (null: where the file is), however many writes it takes. */
async function writeAll(to: FileHandle, data: Uint8Array, position: number | null): Promise<void> {
  for (let done = 0; done < data.byteLength; ) {
    const at = position === null ? null : position + done;
    const { bytesWritten } = await to.write(data, done, data.byteLength - done, at);
    done += bytesWritten;
  }
}

async function copyFromSpool(spool: FileHandle, to: FileHandle, offset: number, size: number) {
  const buffer = Buffer.alloc(Math.min(COPY_CHUNK, Math.max(size, 1)));
  for (let done = 0; done < size; ) {
    const want = Math.min(buffer.byteLength, size - done);
    const { bytesRead } = await spool.read(buffer, 0, want, offset + done);
    if (bytesRead === 0) throw new Error('the upload spool ended early');
    await writeAll(to, buffer.subarray(0, bytesRead), null);
    done += bytesRead;
  }
}

/**
 * A link made in a directory of the driver's own (0700, made in `dir` so that the rename stays
 * on one file system), given its owner and time there, then renamed over whatever is at `name`.
 * Node cannot chown a link by handle, only by path: so the path is one the container cannot
 * reach, and a link of its own swapped in there could never be what gets chowned.
 */
async function placeLink(dir: HeldDir, name: string, entry: TarEntry, owner: Owner) {
  const stagingName = tempName();
  let staging: HeldDir | undefined;
  try {
    await mkdir(dir.at(stagingName), { mode: 0o700 });
    staging = await dir.openDir(stagingName);
    const info = await staging.stat();
    if (info.uid !== process.geteuid?.() || (info.mode & 0o077) !== 0) {
      throw new UnsafeFileError(
        'link',
        `${dir.childPath(name)}: its staging directory was swapped`,
      );
    }
    await symlink(entry.linkTarget ?? '', staging.at('link'));
    await lchown(staging.at('link'), owner.uid, owner.gid);
    await lutimes(staging.at('link'), entry.modifiedAt, entry.modifiedAt);
    await rename(staging.at('link'), dir.at(name));
  } catch (error) {
    throw fileError(error, dir.containerId, dir.childPath(name));
  } finally {
    if (staging) {
      await unlink(staging.at('link')).catch(() => undefined);
      await staging.close();
    }
    await rmdir(dir.at(stagingName)).catch(() => undefined);
  }
}

async function unpack(
  dir: HeldDir,
  member: Staged,
  spool: FileHandle,
  ownership: 'archive' | 'container',
  owners: Owners,
): Promise<void> {
  const { entry } = member;
  const name = member.names.at(-1) as string;
  const owner = ownership === 'archive' ? entry : containerOwner(owners, await dir.stat());
  refuseForeignPrivilege(dir.childPath(name), entry.type, entry.mode, owner, owners);
  if (entry.type === 'file') {
    const fill = (to: FileHandle) => copyFromSpool(spool, to, member.offset, entry.size);
    return replaceFile(dir, name, fill, owner, entry.mode, entry.modifiedAt);
  }
  if (entry.type === 'symlink') return placeLink(dir, name, entry, owner);
  const existing = await dir.lstat(name);
  if (existing && !existing.isDirectory()) {
    await unlink(dir.at(name)).catch((error: unknown) => {
      throw fileError(error, dir.containerId, dir.childPath(name));
    });
  }
  if (existing?.isDirectory()) {
    // An archive's directory gives its mode and owner to one already there, as tar does.
    const found = await dir.openDir(name);
    try {
      await settle(found.handle, owner, entry.mode);
    } finally {
      await found.close();
    }
    return;
  }
  await (await makeDirIn(dir, name, entry.mode, owner, owners)).close();
}

export interface UploadContext {
  owners: Owners;
  /** A directory of the driver's own (never the container's) for the archive's bodies. */
  spoolDir: string;
  signal: AbortSignal | undefined;
}

/** Unpacks `tar` into the directory at the place (which exists: the kit made sure). */
export async function uploadAt(
  place: Place,
  tar: AsyncIterable<Uint8Array>,
  ownership: 'archive' | 'container',
  ctx: UploadContext,
): Promise<void> {
  refuseReadOnly(place);
  const target = await walk(place.base, place.names);
  const spoolPath = join(ctx.spoolDir, `.upload-${randomBytes(8).toString('hex')}`);
  let spool: FileHandle | undefined;
  const stack = new DirStack(target, ctx.owners);
  try {
    spool = await open(spoolPath, 'wx+', 0o600);
    // Unlinked at once: it goes with the handle, whatever happens to this process.
    await unlink(spoolPath);
    const staged = await stage(tar, spool, ownership, ctx.owners, ctx.signal);
    const dirs: Staged[] = [];
    for (const member of staged) {
      ctx.signal?.throwIfAborted();
      const dir = await stack.at(member.names.slice(0, -1));
      await unpack(dir, member, spool, ownership, ctx.owners);
      if (member.entry.type === 'directory') dirs.push(member);
    }
    await stack.close();
    // Last, as tar does: unpacking into a directory changes its modification time.
    for (const member of dirs.reverse()) {
      const dir = await walk(target, member.names).catch(() => undefined);
      await dir?.handle.utimes(member.entry.modifiedAt, member.entry.modifiedAt).catch(() => {});
      await dir?.close();
    }
  } finally {
    await stack.close();
    await spool?.close();
    await target.close();
  }
}
