import { FileSystemError, ResourceLimitError } from '../errors/index.js';
import type { FileType } from './file-types.js';

/** One member of a tar archive. `path` is relative to the archive's root, without a leading `/`. */
export interface TarEntry {
  path: string;
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  modifiedAt: Date;
  linkTarget?: string;
}

export interface TarMember {
  entry: TarEntry;
  data: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const TYPE_FLAGS: Record<FileType, string> = {
  file: '0',
  directory: '5',
  symlink: '2',
  other: '0',
};

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function put(block: Uint8Array, offset: number, width: number, text: string): void {
  block.set(encoder.encode(text).subarray(0, width), offset);
}

function header(
  entry: TarEntry,
  name: string,
  typeFlag: string,
  size: number,
  link = '',
): Uint8Array {
  const block = new Uint8Array(BLOCK);
  put(block, 0, 100, name);
  put(block, 100, 8, octal(entry.mode & 0o7777, 8));
  put(block, 108, 8, octal(entry.uid, 8));
  put(block, 116, 8, octal(entry.gid, 8));
  put(block, 124, 12, octal(size, 12));
  put(block, 136, 12, octal(Math.floor(entry.modifiedAt.getTime() / 1000), 12));
  put(block, 148, 8, '        ');
  put(block, 156, 1, typeFlag);
  put(block, 157, 100, link);
  put(block, 257, 6, 'ustar\0');
  put(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  put(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

/** A PAX record set for what ustar cannot hold (long paths and link targets). */
function paxRecords(fields: Record<string, string>): Uint8Array {
  const records: Uint8Array[] = [];
  for (const [key, value] of Object.entries(fields)) {
    // The length prefix counts bytes, itself included: grow it until it is stable.
    const body = encoder.encode(` ${key}=${value}\n`).byteLength;
    let length = body + 1;
    while (String(length).length + body !== length) length = String(length).length + body;
    records.push(encoder.encode(`${length} ${key}=${value}\n`));
  }
  return concat(
    records,
    records.reduce((n, r) => n + r.byteLength, 0),
  );
}

/** A tar archive of `members`, as a stream of blocks (ustar, PAX for long names). */
export async function* packTar(
  members: Iterable<TarMember> | AsyncIterable<TarMember>,
): AsyncGenerator<Uint8Array> {
  for await (const { entry, data } of members) {
    const name =
      entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    const link = entry.linkTarget ?? '';
    const size = entry.type === 'file' ? data.byteLength : 0;
    const long: Record<string, string> = {};
    if (encoder.encode(name).byteLength > 100) long.path = name;
    if (encoder.encode(link).byteLength > 100) long.linkpath = link;
    if (Object.keys(long).length > 0) {
      const records = paxRecords(long);
      yield header(entry, 'PaxHeader', 'x', records.byteLength);
      yield records;
      yield padding(records.byteLength);
    }
    yield header(entry, name.slice(0, 100), TYPE_FLAGS[entry.type], size, link.slice(0, 100));
    if (size > 0) {
      yield data;
      yield padding(size);
    }
  }
  yield new Uint8Array(BLOCK * 2);
}

/** Bytes from a stream, taken in exact amounts. */
class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #length = 0;
  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. */
  async take(n: number): Promise<Uint8Array> {
    while (this.#length < n) {
      const next = await this.#source.next();
      if (next.done) break;
      this.#chunks.push(next.value);
      this.#length += next.value.byteLength;
    }
    const all =
      this.#chunks.length === 1
        ? (this.#chunks[0] as Uint8Array)
        : concat(this.#chunks, this.#length);
    const out = all.subarray(0, Math.min(n, all.byteLength));
    const rest = all.subarray(out.byteLength);
    this.#chunks = rest.byteLength > 0 ? [rest] : [];
    this.#length = rest.byteLength;
    return out;
  }

  async close(): Promise<void> {
    await this.#source.return?.();
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function field(block: Uint8Array, offset: number, width: number): string {
  const raw = block.subarray(offset, offset + width);
  const end = raw.indexOf(0);
  return decoder.decode(end === -1 ? raw : raw.subarray(0, end));
}

function number(block: Uint8Array, offset: number, width: number): number {
  const text = field(block, offset, width).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const fields: Record<string, string> = {};
  let at = 0;
  // Record lengths are in bytes: walk the bytes, decoding one record at a time.
  while (at < data.byteLength) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number.parseInt(decoder.decode(data.subarray(at, space)), 10);
    if (!Number.isInteger(length) || length <= space - at || at + length > data.byteLength) {
      throw new FileSystemError('tar stream: a malformed PAX record');
    }
    const record = decoder.decode(data.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    if (eq > 0) fields[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return fields;
}

function typeOf(flag: string): FileType | undefined {
  if (flag === '0' || flag === '\0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1' || flag === '3' || flag === '4' || flag === '6') return 'other';
  return undefined;
}

/**
 * The members of a tar stream, each with its whole body (at most `maxEntryBytes`, default
 * 256 MiB, each). Understands ustar, PAX and GNU long names; a damaged header is a
 * FileSystemError rather than garbage.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  options: { maxEntryBytes?: number } = {},
): AsyncGenerator<TarMember> {
  const max = options.maxEntryBytes ?? 256 * 1024 * 1024;
  const reader = new ByteReader(source);
  let pending: Record<string, string> = {};
  try {
    for (;;) {
      const block = await reader.take(BLOCK);
      if (block.byteLength < BLOCK || block.every((b) => b === 0)) return;
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
      if (sum !== number(block, 148, 8))
        throw new FileSystemError('tar stream: a header checksum does not match');
      const size = pending.size === undefined ? number(block, 124, 12) : Number(pending.size);
      if (size > max) throw new ResourceLimitError('tar entry bytes', max, size);
      const flag = field(block, 156, 1);
      const data = await reader.take(size);
      await reader.take(padding(size).byteLength);
      if (flag === 'x') {
        pending = { ...pending, ...parsePax(data) };
        continue;
      }
      if (flag === 'L' || flag === 'K') {
        pending[flag === 'L' ? 'path' : 'linkpath'] = decoder.decode(data).replace(/\0+$/, '');
        continue;
      }
      if (flag === 'g') continue;
      const type = typeOf(flag);
      if (!type) {
        pending = {};
        continue;
      }
      const prefix = field(block, 345, 155);
      const base = field(block, 0, 100);
      const path = (pending.path ?? (prefix ? `${prefix}/${base}` : base)).replace(/\/$/, '');
      const link = pending.linkpath ?? field(block, 157, 100);
      const pax = pending;
      pending = {};
      yield {
        entry: {
          path,
          type,
          mode: number(block, 100, 8) & 0o7777,
          uid: pax.uid === undefined ? number(block, 108, 8) : Number(pax.uid),
          gid: pax.gid === undefined ? number(block, 116, 8) : Number(pax.gid),
          size: type === 'file' ? size : 0,
          modifiedAt: new Date(
            pax.mtime === undefined ? number(block, 136, 12) * 1000 : Number(pax.mtime) * 1000,
          ),
          ...(type === 'symlink' ? { linkTarget: link } : {}),
        },
        data: type === 'file' ? data : new Uint8Array(0),
      };
    }
  } finally {
    await reader.close();
  }
}
