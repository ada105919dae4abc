import { ConfigurationError, FileNotFoundError } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type { EngineSession } from '../engine/session.js';
import { type FilesTarget, filesTarget, refusedWrite } from './archive.js';
import { ArchiveWriter } from './archive-writer.js';
import { containerOwner, type Owner } from './owner.js';
import { type Chain, parentOf, relativeTo, walkPath } from './path-chain.js';
import { spool } from './spool.js';

/*
 * One file or directory, written as one archive into the deepest directory on its way that
 * exists, with the missing ones before it: one PUT however deep the path, and directories that
 * exist keep their modes and owners.
 */

interface Made {
  mode: number;
  owner?: { uid: number; gid: number } | undefined;
}

/** Writes the missing directories of `chain`, then what `last` writes, in one archive. */
async function writeInto(
  t: FilesTarget,
  chain: Chain,
  user: Owner,
  last: (writer: ArchiveWriter) => Promise<void>,
): Promise<void> {
  const writer = new ArchiveWriter(t, chain.base);
  const mtime = Math.floor(Date.now() / 1000);
  try {
    for (const dir of chain.missing) {
      await writer.member({
        name: relativeTo(chain.base, dir),
        type: 'directory',
        mode: 0o755,
        ...user,
        size: 0,
        mtime,
      });
    }
    await last(writer);
    await writer.finish();
  } catch (error) {
    await writer.abandon(error);
    throw error;
  }
}

export async function writeFile(
  session: EngineSession,
  id: string,
  path: string,
  data: AsyncIterable<Uint8Array>,
  options: Made,
  ctx: PrimitiveContext,
): Promise<void> {
  const t = await filesTarget(session, id, ctx);
  const chain = await walkPath(t, path, 'writeFile');
  if (chain.target?.type === 'directory') {
    throw new ConfigurationError(`writeFile: ${path} is a directory; a file never replaces one`);
  }
  const refused = refusedWrite(t, path);
  if (refused) throw refused;
  // Looked up only when something is the user's (a container's user may not exist yet).
  const user =
    options.owner && chain.missing.length === 0 ? options.owner : await containerOwner(t);
  // A link at the path itself is replaced by the file, never written through.
  const spooled = await spool(data, ctx.signal);
  try {
    await writeInto(t, chain, user, (writer) =>
      writer.member(
        {
          name: relativeTo(chain.base, path),
          type: 'file',
          mode: options.mode,
          ...(options.owner ?? user),
          size: spooled.size,
          mtime: Math.floor(Date.now() / 1000),
        },
        spooled.read(),
      ),
    );
  } finally {
    await spooled.dispose();
  }
}

export async function makeDir(
  session: EngineSession,
  id: string,
  path: string,
  options: Made & { parents: boolean },
  ctx: PrimitiveContext,
): Promise<void> {
  const t = await filesTarget(session, id, ctx);
  const chain = await walkPath(t, path, 'makeDir');
  if (chain.target) {
    // As `mkdir -p`: one that exists is left as it is, mode and owner included.
    if (chain.target.type === 'directory') return;
    const what =
      chain.target.type === 'symlink'
        ? `a symbolic link (to ${chain.target.linkTarget} in the container)`
        : `a ${chain.target.type}`;
    throw new ConfigurationError(`makeDir: ${path} is ${what}, not a directory`);
  }
  if (!options.parents && chain.missing.length > 0)
    throw new FileNotFoundError(t.id, parentOf(path));
  const refused = refusedWrite(t, path);
  if (refused) throw refused;
  const user =
    options.owner && chain.missing.length === 0 ? options.owner : await containerOwner(t);
  await writeInto(t, chain, user, (writer) =>
    writer.member({
      name: relativeTo(chain.base, path),
      type: 'directory',
      mode: options.mode,
      ...(options.owner ?? user),
      size: 0,
      mtime: Math.floor(Date.now() / 1000),
    }),
  );
}
