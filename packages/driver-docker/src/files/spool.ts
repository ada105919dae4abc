import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { raceAbort } from '../engine/abort.js';

/*
 * A tar header states its member's size before the bytes, and a stream's size is known only at
 * its end. So a stream is held until it ends: in memory while small, past that in a private
 * file on this host (removed once sent), never whole in memory.
 */

const IN_MEMORY = 1024 * 1024;

export interface Spooled {
  readonly size: number;
  read(): AsyncIterable<Uint8Array>;
  dispose(): Promise<void>;
}

export async function spool(
  data: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): Promise<Spooled> {
  const source = data[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let size = 0;
  // A return is not waited for: a generator stuck in an await returns only after it.
  const release = () => void source.return?.()?.catch(() => undefined);
  try {
    while (size <= IN_MEMORY) {
      signal?.throwIfAborted();
      const next = await raceAbort(source.next(), signal);
      if (next.done) {
        return {
          size,
          read: () => Readable.from(held),
          dispose: async () => undefined,
        };
      }
      // Copied: a producer may reuse its buffer once the chunk is taken.
      held.push(Uint8Array.from(next.value));
      size += next.value.byteLength;
    }
  } catch (error) {
    release();
    throw error;
  }
  const dir = await mkdtemp(join(tmpdir(), 'berth-docker-write-'));
  const file = join(dir, 'data');
  let written = 0;
  async function* rest(): AsyncGenerator<Uint8Array> {
    let done = false;
    try {
      for (const chunk of held.splice(0)) {
        written += chunk.byteLength;
        yield chunk;
      }
      for (;;) {
        signal?.throwIfAborted();
        const next = await raceAbort(source.next(), signal);
        if (next.done) break;
        written += next.value.byteLength;
        yield next.value;
      }
      done = true;
    } finally {
      if (!done) release();
    }
  }
  try {
    await pipeline(rest(), createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    size: written,
    read: () => createReadStream(file, { highWaterMark: 256 * 1024 }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
