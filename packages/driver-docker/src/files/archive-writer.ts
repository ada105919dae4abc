import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { FileSystemError } from '@berth/core';
import { type FilesTarget, putArchive } from './archive.js';
import { END_OF_ARCHIVE, encodeHeader, type MemberHeader, padding } from './tar-writer.js';

/**
 * One PUT of an archive into a directory, written member by member while the engine unpacks
 * it: what is written waits for the engine to take it (never more than the stream's buffer is
 * held), and an engine that fails early fails the next write instead of leaving it waiting.
 */
export class ArchiveWriter {
  readonly #body = new PassThrough({ highWaterMark: 256 * 1024 });
  readonly #put: Promise<void>;
  #settled = false;

  constructor(t: FilesTarget, dir: string) {
    this.#put = putArchive(t, dir, this.#body);
    this.#put.then(
      () => {
        this.#settled = true;
      },
      () => {
        this.#settled = true;
      },
    );
  }

  #early(): Promise<never> {
    return this.#put.then(() => {
      throw new FileSystemError('The engine answered before the archive was complete');
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#settled) await this.#early();
    if (this.#body.write(chunk)) return;
    await Promise.race([once(this.#body, 'drain'), this.#early()]);
  }

  async member(header: MemberHeader, body?: AsyncIterable<Uint8Array>): Promise<void> {
    await this.write(encodeHeader(header));
    if (!body) return;
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      await this.write(chunk);
    }
    if (size !== header.size) {
      throw new FileSystemError(`${header.name}: ${size} bytes came where ${header.size} were due`);
    }
    await this.write(padding(size));
  }

  /** Ends the archive and waits for the engine to have unpacked all of it. */
  async finish(): Promise<void> {
    this.#body.end(END_OF_ARCHIVE);
    await this.#put;
  }

  /**
   * Cuts the request off: the engine sees a broken upload, not the end of an archive. What it
   * unpacked already stays; it is never told the archive was complete.
   */
  async abandon(reason: unknown): Promise<void> {
    this.#body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    await this.#put.catch(() => undefined);
  }
}
