import { ConfigurationError, FileNotFoundError, FileSystemError } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type { EngineSession } from '../engine/session.js';
import { type FilesTarget, filesTarget, headPath, refusedWrite } from './archive.js';
import { ArchiveWriter } from './archive-writer.js';
import { containerOwner, type Owner } from './owner.js';
import { joinPath, walkPath } from './path-chain.js';
import { type MemberType, TarReader } from './tar-reader.js';

/*
 * A caller's archive, re-written member by member on its way to the engine. The engine refuses
 * names that climb out (`../x`) and relative links that point out, and unpacks chrooted in the
 * container; the driver also refuses absolute names, members that go through a link (one of
 * the archive's or one already in the container), hard links to anything but a file of the
 * same archive, and drops devices, FIFOs, xattrs and everything else it did not check.
 */

/** A member's name relative to where it is unpacked; '' for the directory itself. */
export function memberPath(
  name: string,
  what = `upload: archive member ${JSON.stringify(name)}`,
): string {
  if (name.includes('\0')) throw new FileSystemError(`${what} holds a NUL byte`);
  if (name.startsWith('/')) {
    throw new FileSystemError(
      `${what} is absolute: members are unpacked relative to the directory`,
    );
  }
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..'))
    throw new FileSystemError(`${what} would be unpacked outside the directory`);
  return parts.join('/');
}

/** `a/b/c` → `['a', 'a/b']`. */
function within(relative: string): string[] {
  const parts = relative.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

class Unpacking {
  /** What each path of the archive is once unpacked, or `directory` where one was checked. */
  readonly #made = new Map<string, MemberType>();
  /** Directories to make before the next member: on its way, in no archive, not there. */
  #parents: string[] = [];
  #writer: ArchiveWriter | undefined;
  readonly #now = Math.floor(Date.now() / 1000);

  #user: Promise<Owner> | undefined;

  constructor(
    readonly t: FilesTarget,
    readonly dir: string,
  ) {}

  /** The container's user, looked up the first time something is to be theirs. */
  user(): Promise<Owner> {
    this.#user ??= containerOwner(this.t);
    return this.#user;
  }

  /**
   * Makes sure every directory on the way to `relative` is a real one. A directory neither in
   * the archive nor checked yet is asked of the engine, which answers nothing about a container
   * while an archive is unpacked into it (the PUT holds the container): the PUT so far is
   * finished first, and the rest goes in another.
   */
  async wayTo(name: string, relative: string): Promise<void> {
    let missing = false;
    for (const dir of within(relative)) {
      const made = this.#made.get(dir);
      if (made === 'directory') continue;
      if (made !== undefined) {
        throw new FileSystemError(
          `upload: archive member ${JSON.stringify(name)} would be unpacked through ${dir}, a ${made} of the same archive`,
        );
      }
      // Below a directory that is not there, nothing is: no need to ask.
      if (missing) {
        this.#parents.push(dir);
        this.#made.set(dir, 'directory');
        continue;
      }
      await this.#writer?.finish();
      this.#writer = undefined;
      const found = await headPath(this.t, joinPath(this.dir, dir));
      if (found && found.type !== 'directory') {
        const to = found.type === 'symlink' ? ` (a link to ${found.linkTarget})` : '';
        throw new FileSystemError(
          `upload: archive member ${JSON.stringify(name)} would be unpacked through ${joinPath(this.dir, dir)}, a ${found.type} in the container${to}: links are never followed`,
        );
      }
      if (!found) {
        missing = true;
        this.#parents.push(dir);
      }
      this.#made.set(dir, 'directory');
    }
  }

  writer(): ArchiveWriter {
    this.#writer ??= new ArchiveWriter(this.t, this.dir);
    return this.#writer;
  }

  async parents(): Promise<void> {
    const parents = this.#parents;
    this.#parents = [];
    for (const name of parents) {
      await this.writer().member({
        name,
        type: 'directory',
        mode: 0o755,
        ...(await this.user()),
        size: 0,
        mtime: this.#now,
      });
    }
  }

  made(relative: string): MemberType | undefined {
    return this.#made.get(relative);
  }

  record(relative: string, type: MemberType): void {
    this.#made.set(relative, type);
  }

  async finish(): Promise<void> {
    await this.#writer?.finish();
    this.#writer = undefined;
  }

  async abandon(reason: unknown): Promise<void> {
    await this.#writer?.abandon(reason);
    this.#writer = undefined;
  }
}

export async function upload(
  session: EngineSession,
  id: string,
  dir: string,
  tar: AsyncIterable<Uint8Array>,
  ownership: 'archive' | 'container',
  ctx: PrimitiveContext,
): Promise<void> {
  const t = await filesTarget(session, id, ctx);
  const chain = await walkPath(t, dir, 'upload');
  if (!chain.target) throw new FileNotFoundError(t.id, dir);
  if (chain.target.type !== 'directory') {
    throw new ConfigurationError(
      chain.target.type === 'symlink'
        ? `upload: ${dir} is a symbolic link (to ${chain.target.linkTarget} in the container): links are never followed, name the target`
        : `upload: ${dir} is a ${chain.target.type}, not a directory`,
    );
  }
  const refused = refusedWrite(t, dir);
  if (refused) throw refused;
  const unpacking = new Unpacking(t, dir);
  const reader = new TarReader(tar, ctx.signal);
  try {
    for (let header = await reader.next(); header; header = await reader.next()) {
      const relative = memberPath(header.name);
      if (relative === '' || header.type === 'other') continue;
      await unpacking.wayTo(header.name, relative);
      let linkName: string | undefined;
      if (header.type === 'hardlink') {
        linkName = memberPath(
          header.linkName,
          `upload: hard link ${JSON.stringify(header.name)} → ${JSON.stringify(header.linkName)}`,
        );
        if (unpacking.made(linkName) !== 'file') {
          throw new FileSystemError(
            `upload: hard link ${JSON.stringify(header.name)} → ${JSON.stringify(header.linkName)}: a hard link must point at a file earlier in the same archive`,
          );
        }
      } else if (header.type === 'symlink') {
        linkName = header.linkName;
      }
      await unpacking.parents();
      const owner =
        ownership === 'container' ? await unpacking.user() : { uid: header.uid, gid: header.gid };
      await unpacking.writer().member(
        {
          name: relative,
          type: header.type,
          mode: header.mode,
          ...owner,
          size: header.size,
          mtime: header.mtime,
          ...(linkName === undefined ? {} : { linkName }),
        },
        header.type === 'file' ? reader.body() : undefined,
      );
      unpacking.record(relative, header.type === 'hardlink' ? 'file' : header.type);
    }
    await unpacking.finish();
  } catch (error) {
    await unpacking.abandon(error);
    throw error;
  } finally {
    reader.close();
  }
}
