import { BLOCK } from './tar-reader.js';

/*
 * Headers the driver writes itself, so what reaches the engine is exactly what was checked: a
 * member's name, type, mode, owner and link, and nothing else of the archive it came from (no
 * xattrs, which the engine would set, no global records, no user or group names).
 */

export interface MemberHeader {
  /** Relative to where the archive is unpacked; no leading `/`, no trailing `/`. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkName?: string;
}

const encoder = new TextEncoder();
const FLAGS = { file: '0', directory: '5', symlink: '2', hardlink: '1' } as const;
const MAX_SIZE = 0o77777777777;
const MAX_ID = 0o7777777;

/** Two zero blocks: the end of an archive. */
export const END_OF_ARCHIVE = new Uint8Array(BLOCK * 2);

export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

function put(block: Uint8Array, offset: number, width: number, value: string): void {
  block.set(encoder.encode(value).subarray(0, width), offset);
}

function octal(block: Uint8Array, offset: number, width: number, value: number): void {
  put(block, offset, width, `${value.toString(8).padStart(width - 1, '0')}\0`);
}

function ustar(name: string, flag: string, h: MemberHeader, size: number, link: string) {
  const block = new Uint8Array(BLOCK);
  put(block, 0, 100, name);
  octal(block, 100, 8, h.mode & 0o7777);
  octal(block, 108, 8, Math.min(h.uid, MAX_ID));
  octal(block, 116, 8, Math.min(h.gid, MAX_ID));
  octal(block, 124, 12, Math.min(size, MAX_SIZE));
  octal(block, 136, 12, Math.max(0, Math.min(Math.floor(h.mtime), MAX_SIZE)));
  block.fill(32, 148, 156);
  put(block, 156, 1, flag);
  put(block, 157, 100, link);
  put(block, 257, 6, 'ustar\0');
  put(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  put(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** `length key=value\n`, where the length counts itself. */
function record(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = encoder.encode(body).byteLength;
  let length = bytes + 1;
  while (length !== bytes + String(length).length) length = bytes + String(length).length;
  return `${length}${body}`;
}

/**
 * The blocks of one member's header: a PAX header first where ustar cannot hold the name, the
 * link, the size or an id, then the ustar header (whose fields the PAX records override).
 */
export function encodeHeader(h: MemberHeader): Uint8Array {
  const name = h.type === 'directory' ? `${h.name}/` : h.name;
  const link = h.linkName ?? '';
  const size = h.type === 'file' ? h.size : 0;
  let pax = '';
  if (encoder.encode(name).byteLength > 100) pax += record('path', name);
  if (encoder.encode(link).byteLength > 100) pax += record('linkpath', link);
  if (size > MAX_SIZE) pax += record('size', String(size));
  if (h.uid > MAX_ID) pax += record('uid', String(h.uid));
  if (h.gid > MAX_ID) pax += record('gid', String(h.gid));
  // A name cut at byte 100 may end inside a character; PAX carries the whole one anyway.
  const header = ustar(name, FLAGS[h.type], h, size, link);
  if (pax === '') return header;
  const records = encoder.encode(pax);
  const extended = ustar('././@PaxHeader', 'x', { ...h, uid: 0, gid: 0 }, records.byteLength, '');
  const out = new Uint8Array(
    BLOCK + records.byteLength + padding(records.byteLength).byteLength + BLOCK,
  );
  out.set(extended, 0);
  out.set(records, BLOCK);
  out.set(header, out.byteLength - BLOCK);
  return out;
}
