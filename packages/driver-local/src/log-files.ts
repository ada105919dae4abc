import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { LogLine } from '@berth/core';
import { parseLogText, type StoredLine, timestampMs } from './log-format.js';

export type LogStream = 'stdout' | 'stderr';

export interface StoredLogLine extends StoredLine {
  stream: LogStream;
}

export interface LogSelection {
  stdout?: boolean;
  stderr?: boolean;
  since?: Date | number;
  tail?: number;
}

/** Up to this size a log file is read synchronously: cheaper than four trips through the thread pool. */
const SYNC_READ_BYTES = 256 * 1024;

async function readWhole(path: string): Promise<string> {
  try {
    const fd = openSync(path, 'r');
    try {
      const { size } = fstatSync(fd);
      if (size <= SYNC_READ_BYTES) {
        // One byte more than the size: a file that grew meanwhile is read asynchronously.
        const buffer = Buffer.allocUnsafe(size + 1);
        const length = readSync(fd, buffer, 0, size + 1, 0);
        if (length <= size) return buffer.toString('utf8', 0, length);
      }
    } finally {
      closeSync(fd);
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Both streams in the order the supervisor read them (timestamps are unique and increasing). */
export function mergeByTime(a: StoredLogLine[], b: StoredLogLine[]): StoredLogLine[] {
  const merged: StoredLogLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const left = a[i];
    const right = b[j];
    if (right === undefined || (left !== undefined && left.timestamp <= right.timestamp)) {
      merged.push(left as StoredLogLine);
      i++;
    } else {
      merged.push(right);
      j++;
    }
  }
  return merged;
}

function sinceMs(since: Date | number | undefined): number | undefined {
  if (since === undefined) return undefined;
  return since instanceof Date ? since.getTime() : since;
}

function select(lines: StoredLogLine[], selection: LogSelection): StoredLogLine[] {
  const from = sinceMs(selection.since);
  let chosen = from === undefined ? lines : lines.filter((l) => timestampMs(l.timestamp) >= from);
  if (selection.tail !== undefined) {
    chosen = selection.tail === 0 ? [] : chosen.slice(-selection.tail);
  }
  return chosen;
}

export async function readLogLines(
  paths: Record<LogStream, string>,
  selection: LogSelection,
): Promise<StoredLogLine[]> {
  const load = async (stream: LogStream): Promise<StoredLogLine[]> => {
    if (selection[stream] === false) return [];
    return parseLogText(await readWhole(paths[stream])).lines.map((l) => ({ ...l, stream }));
  };
  const [out, err] = await Promise.all([load('stdout'), load('stderr')]);
  return select(mergeByTime(out, err), selection);
}

export function formatLogLines(lines: StoredLogLine[], timestamps: boolean): string {
  if (lines.length === 0) return '';
  return `${lines.map((l) => (timestamps ? `${l.timestamp} ${l.text}` : l.text)).join('\n')}\n`;
}

export function toLogLine(line: StoredLogLine): LogLine {
  return { stream: line.stream, line: line.text, timestamp: new Date(timestampMs(line.timestamp)) };
}

/** Reads what was appended to a log file since `offset`, up to the last complete record. */
export class LogTail {
  offset = 0;

  constructor(
    private readonly path: string,
    private readonly stream: LogStream,
  ) {}

  async next(): Promise<StoredLogLine[]> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return [];
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      const end = buffer.lastIndexOf(0x0a, bytesRead - 1);
      if (end === -1) return [];
      this.offset += end + 1;
      return parseLogText(buffer.subarray(0, end + 1).toString('utf8')).lines.map((l) => ({
        ...l,
        stream: this.stream,
      }));
    } finally {
      await handle.close();
    }
  }
}

export interface FollowOptions {
  isRunning: () => Promise<boolean>;
  /** Keeps the process alive while following. */
  hold: () => () => void;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Existing lines (after `since` and `tail`), then new ones as they are written, until the
 * container is no longer running and everything it wrote has been read, or the signal aborts.
 */
export async function* followLogs(
  paths: Record<LogStream, string>,
  selection: LogSelection,
  options: FollowOptions,
): AsyncGenerator<LogLine> {
  const tails = (['stdout', 'stderr'] as const)
    .filter((stream) => selection[stream] !== false)
    .map((stream) => new LogTail(paths[stream], stream));
  const from = sinceMs(selection.since);
  const readBatch = async (): Promise<StoredLogLine[]> => {
    const batches = await Promise.all(tails.map((t) => t.next()));
    const merged = batches.reduce<StoredLogLine[]>((all, batch) => mergeByTime(all, batch), []);
    return from === undefined ? merged : merged.filter((l) => timestampMs(l.timestamp) >= from);
  };
  let first = await readBatch();
  if (selection.tail !== undefined)
    first = selection.tail === 0 ? [] : first.slice(-selection.tail);
  for (const line of first) yield toLogLine(line);
  const release = options.hold();
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      // Checked before reading: once it has stopped, this last read sees all it wrote.
      const running = await options.isRunning();
      for (const line of await readBatch()) yield toLogLine(line);
      if (!running) return;
      const stopped = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), options.pollMs ?? 50);
        options.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve(true);
          },
          { once: true },
        );
      });
      if (stopped) return;
    }
  } finally {
    release();
  }
}
