/*
 * Bounded forward reading of one log file: from an offset, in fixed-size chunks, only when the
 * consumer asks, holding one chunk and at most one partial record whatever the file's size.
 * Where to start (tail, since) is found by log-seek.ts.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { TIMESTAMP_WIDTH } from './log-format.js';

export type LogStream = 'stdout' | 'stderr';

export interface StoredLogLine {
  stream: LogStream;
  timestamp: string;
  text: string;
}

export const CHUNK_BYTES = 64 * 1024;

/**
 * A record without a newline this long is cut here. The supervisor's own records stay below it
 * (16 Ki UTF-16 units are at most 48 KiB of UTF-8), so only a damaged or foreign file is cut.
 */
export const MAX_RECORD_BYTES = 64 * 1024;

export const NEWLINE = 0x0a;
const SPACE = 0x20;

export interface CursorOptions {
  /** File offset of the first record to read. */
  start?: number;
  /** Read nothing at or after this offset; with `snapshot`, the size at opening is used. */
  end?: number;
  /** Stop at what the file held when it was opened, so a busy writer cannot keep a read going. */
  snapshot?: boolean;
  chunkBytes?: number;
  maxRecordBytes?: number;
}

/**
 * The file is shorter than what was already read from it: it was truncated (or cut by hand),
 * so records a follower had not read yet may be gone. Mapped to LogLinesLostError by the reader.
 */
export class LogFileShrankError extends Error {
  constructor(
    readonly path: string,
    readonly position: number,
    readonly size: number,
  ) {
    super(`log file ${path} shrank to ${size} bytes under a reader at byte ${position}`);
  }
}

/*
 * Orders reads across cursors: a cursor that found nothing new after another cursor's read
 * knows that every record older than what that read returned is already in its own file,
 * because the supervisor writes both files in timestamp order.
 */
let readCount = 0;

export async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    // Not made yet (or gone with its container): nothing to read so far.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A valid record's timestamp, or undefined for a line the parser would skip. */
export function recordTimestamp(bytes: Buffer, start: number, end: number): string | undefined {
  const length = end - start;
  if (
    length === TIMESTAMP_WIDTH ||
    (length > TIMESTAMP_WIDTH && bytes[start + TIMESTAMP_WIDTH] === SPACE)
  ) {
    return bytes.toString('latin1', start, start + TIMESTAMP_WIDTH);
  }
  return undefined;
}

/** The last offset at or before `at` that does not split a UTF-8 sequence (at most 3 back). */
function utf8Boundary(bytes: Buffer, at: number, floor: number): number {
  let cut = at;
  while (cut > floor && cut > at - 3 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  return cut === floor ? at : cut;
}

/**
 * Reads one log file forward, a chunk at a time and only when asked: `peek` parses the next
 * record out of what was read, `advance` reads more when there is none.
 */
export class LogCursor {
  /** This cursor's latest read among all cursors' reads (see readCount). */
  lastRead = 0;
  private handle: FileHandle | undefined;
  private readonly buffer: Buffer;
  private data: Buffer;
  /** First unparsed byte of `data`. */
  private parsed = 0;
  /** File offset of the byte after `data`. */
  private position: number;
  private end: number | undefined;
  private head: StoredLogLine | undefined;
  /** Timestamp of a record being cut into pieces; null while skipping an invalid one. */
  private carry: string | null | undefined;
  private closed = false;
  private readonly chunkBytes: number;
  private readonly maxRecordBytes: number;

  constructor(
    private readonly path: string,
    readonly stream: LogStream,
    private readonly options: CursorOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
    // A partial record up to the cap plus one chunk: the cursor's whole memory, allocated once.
    this.buffer = Buffer.allocUnsafe(this.maxRecordBytes + this.chunkBytes);
    this.data = this.buffer.subarray(0, 0);
    this.position = options.start ?? 0;
    this.end = options.end;
  }

  /** The next record among the bytes already read, without reading. */
  peek(): StoredLogLine | undefined {
    while (this.head === undefined) {
      const { data, parsed } = this;
      if (parsed >= data.length) return undefined;
      const newline = data.indexOf(NEWLINE, parsed);
      if (newline !== -1) {
        this.parsed = newline + 1;
        this.head = this.piece(parsed, newline, true);
      } else if (data.length - parsed > this.maxRecordBytes) {
        // One byte past the cap is needed to see whether the cut splits a character.
        const cut = utf8Boundary(data, parsed + this.maxRecordBytes, parsed);
        this.parsed = cut;
        this.head = this.piece(parsed, cut, false);
      } else {
        return undefined; // a partial record: the rest is still being written
      }
    }
    return this.head;
  }

  take(): StoredLogLine | undefined {
    const head = this.peek();
    this.head = undefined;
    return head;
  }

  /** The next record, reading as much as it takes; undefined once the file has no more yet. */
  async advance(): Promise<StoredLogLine | undefined> {
    for (;;) {
      const head = this.peek();
      if (head !== undefined) return head;
      if (!(await this.fill())) return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private piece(start: number, end: number, complete: boolean): StoredLogLine | undefined {
    const { data } = this;
    if (this.carry !== undefined) {
      const timestamp = this.carry;
      if (complete) this.carry = undefined;
      // Cut right before its newline: the record ended with the previous piece.
      if (timestamp === null || (complete && start === end)) return undefined;
      return { stream: this.stream, timestamp, text: data.toString('utf8', start, end) };
    }
    const timestamp = recordTimestamp(data, start, end);
    if (!complete) this.carry = timestamp ?? null;
    if (timestamp === undefined) return undefined;
    const text =
      end > start + TIMESTAMP_WIDTH ? data.toString('utf8', start + TIMESTAMP_WIDTH + 1, end) : '';
    return { stream: this.stream, timestamp, text };
  }

  /** Reads one more chunk after the unparsed rest; false when the file had nothing new. */
  private async fill(): Promise<boolean> {
    this.lastRead = ++readCount;
    if (this.closed) return false;
    if (!this.handle) {
      this.handle = await openIfExists(this.path);
      if (!this.handle) return false;
      if (this.options.snapshot) {
        const { size } = await this.handle.stat();
        this.end = Math.min(this.end ?? size, size);
      }
    }
    const room =
      this.end === undefined
        ? this.chunkBytes
        : Math.min(this.chunkBytes, this.end - this.position);
    if (room <= 0) return false;
    const rest = this.data.length - this.parsed;
    // peek cuts a rest longer than the cap, so here it is not, and the chunk fits behind it.
    this.buffer.copy(this.buffer, 0, this.parsed, this.data.length);
    const { bytesRead } = await this.handle.read(this.buffer, rest, room, this.position);
    if (bytesRead === 0 && this.end === undefined) {
      // Nothing new while following: also the moment a truncation shows.
      const { size } = await this.handle.stat();
      if (size < this.position) throw new LogFileShrankError(this.path, this.position, size);
    }
    this.position += bytesRead;
    this.data = this.buffer.subarray(0, rest + bytesRead);
    this.parsed = 0;
    return bytesRead > 0;
  }
}
