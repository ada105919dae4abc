import { type FileInfo, FileNotFoundError } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type { ContainerSnapshot } from '../containers/container-snapshot.js';
import type { EngineContext } from '../engine/engine-context.js';
import { recheckBindMounts } from '../isolation/mounts.js';
import { downloadAt } from './file-download.js';
import type { Owner, Owners } from './file-owners.js';
import { type Place, placeOf } from './file-places.js';
import { listAt, readAt, statAt } from './file-read.js';
import { uploadAt } from './file-upload.js';
import { makeDirAt, removeAt, writeAt } from './file-write.js';

/*
 * A container's files, for the kit's file calls. Every path is reached from a directory held
 * open, one name at a time, never through a link (see held-dir.ts): from the root of its
 * sandbox while it runs, so a path is what the container sees; from the host directories of its
 * work directory and mounts while it does not run, the only places that outlive a run. The
 * driver does the work itself, as root: owners can be set and kept, and nothing the container
 * runs takes part in it.
 */
export class ContainerFiles {
  constructor(private readonly ctx: EngineContext) {}

  /** Runs `body` on where `path` is now in container `id`. */
  async #at<T>(
    id: string,
    path: string,
    body: (place: Place, owners: Owners) => Promise<T>,
    missing = path,
  ): Promise<T> {
    const { host, allowedRoots } = await this.ctx.init();
    const snapshot = await this.ctx.catalog.require(id);
    const { record } = snapshot;
    const place = await placeOf(snapshot, path, {
      workDir: this.ctx.layout.workDir(record.id),
      bwrap: host.tools.bwrap,
      recheckMounts: () =>
        recheckBindMounts(record.config.volumes, record.mounts, {
          allowedRoots,
          privateDirs: this.ctx.privateDirs(),
        }),
      reload: () => this.ctx.catalog.require(record.id),
    });
    try {
      return await body(place, this.#owners(snapshot, host.setpriv.user));
    } catch (error) {
      // A walk stops at the first missing directory; the caller asked about `missing`.
      if (FileNotFoundError.isInstance(error) && error.path !== missing) {
        throw new FileNotFoundError(record.id, missing, { cause: error });
      }
      throw error;
    } finally {
      await place.base.close();
    }
  }

  #owners(snapshot: ContainerSnapshot, switchesUsers: boolean): Owners {
    const { record } = snapshot;
    // Without setpriv its processes run as the driver's own user, whatever the record says.
    const user = switchesUsers
      ? { uid: record.user.uid, gid: record.user.gid }
      : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    return { user, groups: switchesUsers ? [...(record.groups ?? [])] : [] };
  }

  stat(id: string, path: string): Promise<FileInfo | null> {
    return this.#at(id, path, (place) => statAt(place));
  }

  readFile(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    return this.#at(id, path, (place) => readAt(place));
  }

  listFiles(id: string, path: string): Promise<FileInfo[]> {
    return this.#at(id, path, (place) => listAt(place));
  }

  download(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    return this.#at(id, path, (place) => downloadAt(place));
  }

  writeFile(
    id: string,
    path: string,
    data: AsyncIterable<Uint8Array>,
    options: { mode: number; owner?: Owner },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#at(id, path, (place, owners) => writeAt(place, data, options, owners, ctx.signal));
  }

  makeDir(
    id: string,
    path: string,
    options: { mode: number; owner?: Owner; parents: boolean },
  ): Promise<void> {
    // Without parents, what is missing is the parent (with them, nothing can be).
    const parent = path.slice(0, Math.max(path.lastIndexOf('/'), 1));
    return this.#at(id, path, (place, owners) => makeDirAt(place, options, owners), parent);
  }

  removeFile(
    id: string,
    path: string,
    options: { recursive: boolean; force: boolean },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#at(id, path, (place) => removeAt(place, options, ctx.signal));
  }

  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    ownership: 'archive' | 'container',
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.#at(id, path, (place, owners) =>
      uploadAt(place, tar, ownership, {
        owners,
        spoolDir: this.ctx.layout.root,
        signal: ctx.signal,
      }),
    );
  }
}
