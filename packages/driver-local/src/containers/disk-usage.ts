import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

/** Beyond this many entries a tree's size is not reported: a scrape must not walk without end. */
export const MAX_DISK_ENTRIES = 20_000;

/**
 * Bytes of the regular files under `dir`, each inode once, without following symlinks (the
 * container owns the tree and may point links anywhere). Undefined when the tree has more than
 * `maxEntries` entries or cannot be read: a size that is not the whole size is not reported.
 * Directories are read as streams, so one holding millions of names is not loaded whole.
 */
export async function treeBytes(
  dir: string,
  maxEntries = MAX_DISK_ENTRIES,
): Promise<number | undefined> {
  const seen = new Set<string>();
  const pending = [dir];
  let entries = 0;
  let bytes = 0;
  while (pending.length > 0) {
    const current = pending.pop() as string;
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(current);
    } catch (error) {
      // Removed since it was listed: the tree changed under the walk, which is not a failure.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return undefined;
    }
    try {
      for await (const entry of handle) {
        entries += 1;
        if (entries > maxEntries) return undefined;
        const path = join(current, entry.name);
        if (entry.isDirectory()) pending.push(path);
        else if (entry.isFile()) {
          const stat = await lstat(path).catch(() => undefined);
          if (!stat?.isFile()) continue;
          const inode = `${stat.dev}:${stat.ino}`;
          if (seen.has(inode)) continue;
          seen.add(inode);
          bytes += stat.size;
        }
      }
    } catch {
      return undefined;
    } finally {
      // for-await closes the handle when it ends or breaks; a second close only rejects.
      await handle.close().catch(() => undefined);
    }
  }
  return bytes;
}
