import type { FileInfo } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type { ContainerFiles } from './container-files.js';

/** The file primitives of the local engine, each handed to ContainerFiles (see its module). */
export abstract class LocalFilePrimitives {
  protected abstract readonly files: ContainerFiles;

  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    ownership: 'archive' | 'container',
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.files.upload(id, path, tar, ownership, ctx);
  }

  download(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    return this.files.download(id, path);
  }

  stat(id: string, path: string): Promise<FileInfo | null> {
    return this.files.stat(id, path);
  }

  writeFile(
    id: string,
    path: string,
    data: AsyncIterable<Uint8Array>,
    options: { mode: number; owner?: { uid: number; gid: number } },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.files.writeFile(id, path, data, options, ctx);
  }

  readFile(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    return this.files.readFile(id, path);
  }

  listFiles(id: string, path: string): Promise<FileInfo[]> {
    return this.files.listFiles(id, path);
  }

  removeFile(
    id: string,
    path: string,
    options: { recursive: boolean; force: boolean },
    ctx: PrimitiveContext,
  ): Promise<void> {
    return this.files.removeFile(id, path, options, ctx);
  }

  makeDir(
    id: string,
    path: string,
    options: { mode: number; owner?: { uid: number; gid: number }; parents: boolean },
  ): Promise<void> {
    return this.files.makeDir(id, path, options);
  }
}
