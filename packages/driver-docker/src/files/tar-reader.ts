import { FileSystemError, ResourceLimitError } from '@berth/core';
import { raceAbort } from '../engine/abort.js';

/*
 * A tar stream read one header at a time, bodies handed on as the slices of the source's own
 * chunks. Core's readTar holds each member's whole body; a 20 MB file or a listing of a big
 * tree must not be held at all.
 */

export const BLOCK = 512;

/** What the driver does with a member; `other` (devices, FIFOs, sparse files) is never unpacked. */
export type MemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarHeader {
  /** As in the archive, long names applied; a directory's may end in `/`. */
  name: string;
  type: MemberType;
  /** Permission bits with setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of body that follow (0 except for files). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkName: string;
}

// Extended headers are small; one that is not is hostile or broken, and is not held.
const MAX_EXTENDED = 1024 * 1024;
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

function text(block: Uint8Array, offset: number, width: number): string {
  const raw = block.subarray(offset, offset + width);
  const end = raw.indexOf(0);
  return decoder.decode(end === -1 ? raw : raw.subarray(0, end));
}

/** Octal, or GNU's base-256 (high bit set) for values octal cannot hold. */
function numeric(block: Uint8Array, offset: number, width: number): number {
  const first = block[offset] as number;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = 1; i < width; i++) value = value * 256 + (block[offset + i] as number);
    return value;
  }
  const digits = text(block, offset, width).trim();
  return digits === '' ? 0 : Number.parseInt(digits, 8);
}

function checksumMatches(block: Uint8Array): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 32 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  const stored = numeric(block, 148, 8);
  return stored === unsigned || stored === signed;
}

function typeOf(flag: string): MemberType {
  if (flag === '0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

function parsePax(data: Uint8Array): Record<string, string> {
  const fields: Record<string, string> = {};
  const all = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < all.length) {
    const space = all.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number.parseInt(all.toString('latin1', at, space), 10);
    // As Go's reader (the engine's): a record whose length does not land on its newline is
    // refused, not read as some other name.
    if (
      !Number.isInteger(length) ||
      length <= space - at ||
      at + length > all.length ||
      all[at + length - 1] !== 0x0a
    ) {
      throw new FileSystemError(
        'tar stream: a PAX record is malformed (its length is not its size in bytes)',
      );
    }
    // Lengths count bytes, not characters: records are cut from the bytes, then decoded.
    const record = all.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) fields[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return fields;
}

export class TarReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #chunk: Uint8Array = EMPTY;
  #at = 0;
  #ended = false;
  /** Body bytes of the current member not read yet, and the padding after them. */
  #left = 0;
  #padding = 0;

  readonly #signal: AbortSignal | undefined;

  /** `signal` stops a wait for the source too: a caller's stream may never yield again. */
  constructor(source: AsyncIterable<Uint8Array>, signal?: AbortSignal) {
    this.#source = source[Symbol.asyncIterator]();
    this.#signal = signal;
  }

  /** At least one unread byte in `#chunk`, unless the stream is over. */
  async #fill(): Promise<boolean> {
    while (this.#at >= this.#chunk.byteLength) {
      if (this.#ended) return false;
      // Checked first: a next() asked for after the abort would reject with no one to hear it.
      this.#signal?.throwIfAborted();
      const next = await raceAbort(this.#source.next(), this.#signal);
      if (next.done) {
        this.#ended = true;
        return false;
      }
      this.#chunk = next.value;
      this.#at = 0;
    }
    return true;
  }

  /** Exactly `n` bytes (fewer only at the end of the stream), copied only across chunks. */
  async #take(n: number): Promise<Uint8Array> {
    if (!(await this.#fill())) return EMPTY;
    if (this.#chunk.byteLength - this.#at >= n) {
      const out = this.#chunk.subarray(this.#at, this.#at + n);
      this.#at += n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n && (await this.#fill())) {
      const part = this.#chunk.subarray(this.#at, this.#at + n - filled);
      out.set(part, filled);
      filled += part.byteLength;
      this.#at += part.byteLength;
    }
    return out.subarray(0, filled);
  }

  async #discard(n: number): Promise<void> {
    let left = n;
    while (left > 0 && (await this.#fill())) {
      const step = Math.min(left, this.#chunk.byteLength - this.#at);
      this.#at += step;
      left -= step;
    }
    if (left > 0) throw new FileSystemError('tar stream: it ends inside a member');
  }

  async #extended(size: number): Promise<Uint8Array> {
    if (size > MAX_EXTENDED)
      throw new ResourceLimitError('tar extended header bytes', MAX_EXTENDED, size);
    const data = await this.#take(size);
    if (data.byteLength < size) throw new FileSystemError('tar stream: it ends inside a header');
    await this.#discard((BLOCK - (size % BLOCK)) % BLOCK);
    return data;
  }

  /** The next member's header, the rest of the current one skipped; null at the end. */
  async next(): Promise<TarHeader | null> {
    await this.skip();
    let pending: Record<string, string> = {};
    for (;;) {
      const block = await this.#take(BLOCK);
      if (block.byteLength === 0) return null;
      if (block.byteLength < BLOCK)
        throw new FileSystemError('tar stream: it ends inside a header');
      if (block.every((byte) => byte === 0)) return null;
      if (!checksumMatches(block)) {
        throw new FileSystemError('tar stream: a header checksum does not match (not a tar?)');
      }
      const flag = text(block, 156, 1);
      const size = numeric(block, 124, 12);
      if (flag === 'x' || flag === 'g') {
        const fields = parsePax(await this.#extended(size));
        // Global records apply to every member; none the driver reads is worth honouring.
        if (flag === 'x') pending = { ...pending, ...fields };
        continue;
      }
      if (flag === 'L' || flag === 'K') {
        const name = decoder.decode(await this.#extended(size)).replace(/\0+$/, '');
        pending[flag === 'L' ? 'path' : 'linkpath'] = name;
        continue;
      }
      const ustar = text(block, 257, 5) === 'ustar';
      const prefix = ustar ? text(block, 345, 155) : '';
      const base = text(block, 0, 100);
      const type = typeOf(flag);
      const bodySize = pending.size === undefined ? size : Number(pending.size);
      if (!Number.isSafeInteger(bodySize) || bodySize < 0) {
        throw new FileSystemError('tar stream: a member has an impossible size');
      }
      this.#left = bodySize;
      this.#padding = (BLOCK - (bodySize % BLOCK)) % BLOCK;
      return {
        name: pending.path ?? (prefix ? `${prefix}/${base}` : base),
        type,
        mode: numeric(block, 100, 8) & 0o7777,
        uid: pending.uid === undefined ? numeric(block, 108, 8) : Number(pending.uid),
        gid: pending.gid === undefined ? numeric(block, 116, 8) : Number(pending.gid),
        size: type === 'file' ? bodySize : 0,
        mtime:
          pending.mtime === undefined ? numeric(block, 136, 12) : Math.floor(Number(pending.mtime)),
        linkName: pending.linkpath ?? text(block, 157, 100),
      };
    }
  }

  /** The current member's body, as slices of the source's chunks. */
  async *body(): AsyncGenerator<Uint8Array> {
    while (this.#left > 0) {
      if (!(await this.#fill())) throw new FileSystemError('tar stream: it ends inside a member');
      const part = this.#chunk.subarray(this.#at, this.#at + this.#left);
      this.#at += part.byteLength;
      this.#left -= part.byteLength;
      yield part;
    }
    await this.#discard(this.#padding);
    this.#padding = 0;
  }

  /** Passes over what is left of the current member's body. */
  async skip(): Promise<void> {
    await this.#discard(this.#left + this.#padding);
    this.#left = 0;
    this.#padding = 0;
  }

  /**
   * Lets go of the source (a response is destroyed, a generator returns). Not waited for: a
   * generator stuck in an await returns only once that await is over.
   */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#source.return?.()?.catch(() => undefined);
  }
}
