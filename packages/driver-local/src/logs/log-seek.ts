/*
 * Where reading a log file starts for `tail` and `since`, found without reading the file whole:
 * the tail by reading backward from the end a chunk at a time (it costs the size of the tail),
 * `since` by a binary search (each file is in time order; it costs a few small reads).
 */
import type { FileHandle } from 'node:fs/promises';
import { CHUNK_BYTES, NEWLINE, openIfExists, recordTimestamp } from './log-cursor.js';
import { TIMESTAMP_WIDTH, timestampMs } from './log-format.js';

interface RecordStart {
  start: number;
  timestamp: string;
}

/** Reads a file backward a chunk at a time, keeping only what the next record's prefix needs. */
class ReverseScanner {
  /** Bytes of the file from `position` on: one chunk plus the prefix of the record after it. */
  private bytes = Buffer.alloc(0);
  private position: number;

  constructor(
    private readonly handle: FileHandle,
    size: number,
    private readonly chunkBytes: number,
  ) {
    this.position = size;
  }

  /** The offset after the last newline before `before`, or 0. */
  async lineStart(before: number): Promise<number> {
    for (;;) {
      const searchEnd = Math.min(before, this.position + this.bytes.length) - this.position;
      if (searchEnd > 0) {
        const newline = this.bytes.lastIndexOf(NEWLINE, searchEnd - 1);
        if (newline !== -1) return this.position + newline + 1;
      }
      if (this.position === 0) return 0;
      const from = Math.max(0, this.position - this.chunkBytes);
      const chunk = Buffer.allocUnsafe(this.position - from);
      let filled = 0;
      while (filled < chunk.length) {
        const { bytesRead } = await this.handle.read(
          chunk,
          filled,
          chunk.length - filled,
          from + filled,
        );
        if (bytesRead === 0) {
          // The file shrank under us: no newlines there, but offsets must stay aligned.
          chunk.fill(0, filled);
          break;
        }
        filled += bytesRead;
      }
      // Of what was read before, a record's prefix is all that can still be asked for.
      const prefix = this.bytes.subarray(0, Math.min(this.bytes.length, TIMESTAMP_WIDTH + 1));
      this.bytes = Buffer.concat([chunk, prefix]);
      this.position = from;
    }
  }

  /** The last valid record ending (newline included) at `end`, skipping invalid lines. */
  async recordBefore(end: number): Promise<RecordStart | undefined> {
    let recordEnd = end;
    while (recordEnd > 0) {
      const start = await this.lineStart(recordEnd - 1);
      const at = start - this.position;
      // Only the prefix is kept, which is all recordTimestamp looks at.
      const prefixEnd = at + Math.min(recordEnd - 1 - start, TIMESTAMP_WIDTH + 1);
      const timestamp = recordTimestamp(this.bytes, at, prefixEnd);
      if (timestamp !== undefined) return { start, timestamp };
      recordEnd = start;
    }
    return undefined;
  }
}

/** Small: a probe needs a record's prefix, and is thrown away after its step of the search. */
const PROBE_BYTES = 4096;

/** The offset after the first newline at or after `from`, or `end` if there is none before it. */
async function lineStartFrom(
  handle: FileHandle,
  from: number,
  end: number,
  probe: Buffer,
): Promise<number> {
  for (let at = from; at < end; ) {
    const { bytesRead } = await handle.read(probe, 0, Math.min(probe.length, end - at), at);
    if (bytesRead === 0) break;
    const newline = probe.subarray(0, bytesRead).indexOf(NEWLINE);
    if (newline !== -1) return at + newline + 1;
    at += bytesRead;
  }
  return end;
}

/** The first valid record starting at or after `position` and before `end`. */
async function recordFrom(
  handle: FileHandle,
  position: number,
  end: number,
  probe: Buffer,
): Promise<RecordStart | undefined> {
  let at = position === 0 ? 0 : await lineStartFrom(handle, position - 1, end, probe);
  while (at < end) {
    const { bytesRead } = await handle.read(probe, 0, Math.min(probe.length, end - at), at);
    if (bytesRead === 0) return undefined;
    const newline = probe.subarray(0, bytesRead).indexOf(NEWLINE);
    const prefixEnd = Math.min(newline === -1 ? bytesRead : newline, TIMESTAMP_WIDTH + 1);
    const timestamp = recordTimestamp(probe, 0, prefixEnd);
    if (timestamp !== undefined) return { start: at, timestamp };
    at =
      newline === -1 ? await lineStartFrom(handle, at + bytesRead, end, probe) : at + newline + 1;
  }
  return undefined;
}

/** End of the last complete record: what a reader of the file as it is now may show. */
async function completeEnd(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  return new ReverseScanner(handle, size, CHUNK_BYTES).lineStart(Number.POSITIVE_INFINITY);
}

export interface FileRange {
  /** Where the records asked for start. */
  start: number;
  /** End of the last complete record when the file was looked at. */
  end: number;
}

/**
 * For each file, where its share of the last `count` records (at or after `sinceMs`) of all
 * files merged by timestamp starts: found by reading backward from the end, one chunk at a
 * time, so it costs the size of that tail, not of the files.
 */
export async function lastRecordsStart(
  paths: string[],
  count: number,
  sinceMs: number | undefined,
  chunkBytes = CHUNK_BYTES,
): Promise<FileRange[]> {
  const handles = await Promise.all(paths.map(openIfExists));
  try {
    const scanners = await Promise.all(
      handles.map(async (handle) => {
        if (!handle) return undefined;
        const { size } = await handle.stat();
        return new ReverseScanner(handle, size, chunkBytes);
      }),
    );
    const ranges: FileRange[] = [];
    const heads: (RecordStart | undefined)[] = [];
    const previous = async (i: number, end: number): Promise<RecordStart | undefined> => {
      const record = await scanners[i]?.recordBefore(end);
      // Each file is in time order: past the first record before `since`, all are before it.
      if (
        record === undefined ||
        (sinceMs !== undefined && !(timestampMs(record.timestamp) >= sinceMs))
      ) {
        return undefined;
      }
      return record;
    };
    for (const [i, scanner] of scanners.entries()) {
      const end = scanner ? await scanner.lineStart(Number.POSITIVE_INFINITY) : 0;
      ranges.push({ start: end, end });
      heads.push(count > 0 ? await previous(i, end) : undefined);
    }
    for (let taken = 0; taken < count; taken++) {
      let latest = -1;
      for (const [i, head] of heads.entries()) {
        const best = heads[latest];
        // On a tie the later file wins: merging forward puts it last.
        if (head && (best === undefined || head.timestamp >= best.timestamp)) latest = i;
      }
      const head = heads[latest];
      if (head === undefined) break;
      (ranges[latest] as FileRange).start = head.start;
      heads[latest] = await previous(latest, head.start);
    }
    return ranges;
  } finally {
    await Promise.all(handles.map((handle) => handle?.close()));
  }
}

/**
 * For each file, where its records at or after `sinceMs` start. A binary search over byte
 * offsets, since each file is in time order: about log2(size) reads of a few KiB.
 */
export async function firstRecordsSince(paths: string[], sinceMs: number): Promise<FileRange[]> {
  return Promise.all(
    paths.map(async (path) => {
      const handle = await openIfExists(path);
      if (!handle) return { start: 0, end: 0 };
      try {
        const end = await completeEnd(handle);
        const probe = Buffer.allocUnsafe(PROBE_BYTES);
        // The smallest offset whose next record is at or after `since` (or that has none).
        let low = 0;
        let high = end;
        while (low < high) {
          const middle = Math.floor((low + high) / 2);
          const record = await recordFrom(handle, middle, end, probe);
          if (record === undefined || timestampMs(record.timestamp) >= sinceMs) high = middle;
          else low = middle + 1;
        }
        const first = await recordFrom(handle, low, end, probe);
        return { start: first?.start ?? end, end };
      } finally {
        await handle.close();
      }
    }),
  );
}
