import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type LogLine, LogLinesLostError } from '@berth/core';
import { LogCursor, LogFileShrankError, type LogStream, type StoredLogLine } from './log-cursor.js';
import { parseLogText, timestampMs } from './log-format.js';
import { type FileRange, firstRecordsSince, lastRecordsStart } from './log-seek.js';

export type { LogStream, StoredLogLine } from './log-cursor.js';

export interface LogSelection {
  stdout?: boolean;
  stderr?: boolean;
  since?: Date | number;
  tail?: number;
}

/** Up to this size a log file is read synchronously: cheaper than four trips through the thread pool. */
const SYNC_READ_BYTES = 256 * 1024;

/** The whole file if it is small ('' if missing), undefined if it is not. */
function readSmall(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  try {
    const { size } = fstatSync(fd);
    if (size > SYNC_READ_BYTES) return undefined;
    // One byte more than the size: a file that grew meanwhile goes to the bounded reader.
    const buffer = Buffer.allocUnsafe(size + 1);
    const length = readSync(fd, buffer, 0, size + 1, 0);
    return length <= size ? buffer.toString('utf8', 0, length) : undefined;
  } finally {
    closeSync(fd);
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

function selectedStreams(selection: LogSelection): LogStream[] {
  return (['stdout', 'stderr'] as const).filter((stream) => selection[stream] !== false);
}

/** Every selected line, as one array: small files are read whole, others a chunk at a time. */
export async function readLogLines(
  paths: Record<LogStream, string>,
  selection: LogSelection,
): Promise<StoredLogLine[]> {
  const streams = selectedStreams(selection);
  const texts = streams.map((stream) => readSmall(paths[stream]));
  if (texts.every((text) => text !== undefined)) {
    const [out = [], err = []] = texts.map((text, i) =>
      parseLogText(text).lines.map((l) => ({ ...l, stream: streams[i] as LogStream })),
    );
    return select(mergeByTime(out, err), selection);
  }
  const lines: StoredLogLine[] = [];
  const cursors = await openCursors(paths, selection, false);
  try {
    for await (const line of mergeCursors(cursors, sinceMs(selection.since))) lines.push(line);
  } finally {
    await Promise.all(cursors.map((cursor) => cursor.close()));
  }
  return lines;
}

export function formatLogLines(lines: StoredLogLine[], timestamps: boolean): string {
  if (lines.length === 0) return '';
  return `${lines.map((l) => (timestamps ? `${l.timestamp} ${l.text}` : l.text)).join('\n')}\n`;
}

export function toLogLine(line: StoredLogLine): LogLine {
  return { stream: line.stream, line: line.text, timestamp: new Date(timestampMs(line.timestamp)) };
}

/**
 * One cursor per selected stream, placed where `tail` and `since` start. Without `follow` each
 * stops at what its file held now, so a container writing fast cannot keep the read going.
 */
async function openCursors(
  paths: Record<LogStream, string>,
  selection: LogSelection,
  follow: boolean,
): Promise<LogCursor[]> {
  const streams = selectedStreams(selection);
  const from = sinceMs(selection.since);
  if (selection.tail === undefined && from === undefined) {
    return streams.map((stream) => new LogCursor(paths[stream], stream, { snapshot: !follow }));
  }
  const files = streams.map((stream) => paths[stream]);
  const ranges =
    selection.tail === undefined
      ? await firstRecordsSince(files, from as number)
      : await lastRecordsStart(files, selection.tail, from);
  return streams.map((stream, i) => {
    const range = ranges[i] as FileRange;
    return new LogCursor(paths[stream], stream, {
      start: range.start,
      ...(follow ? {} : { end: range.end }),
    });
  });
}

/**
 * The cursors' records merged by timestamp, read only as they are asked for; ends when none
 * has a record left for now (more may come later).
 */
async function* mergeCursors(
  cursors: LogCursor[],
  from: number | undefined,
  signal?: AbortSignal,
): AsyncGenerator<StoredLogLine> {
  for (const cursor of cursors) if (!cursor.peek()) await cursor.advance();
  for (;;) {
    if (signal?.aborted) return;
    let next: LogCursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.peek();
      if (head && (!next || head.timestamp < (next.peek() as StoredLogLine).timestamp))
        next = cursor;
    }
    if (!next) return;
    // A cursor that found nothing before `next` read its record may have an older one by now.
    const behind = next.lastRead;
    const stale = cursors.find((cursor) => !cursor.peek() && cursor.lastRead < behind);
    if (stale) {
      await stale.advance();
      continue;
    }
    const line = next.take() as StoredLogLine;
    if (!next.peek()) await next.advance();
    if (from === undefined || timestampMs(line.timestamp) >= from) yield line;
  }
}

/** The selected lines as they are now, read a chunk at a time as the consumer asks for them. */
export async function* readLogs(
  paths: Record<LogStream, string>,
  selection: LogSelection,
  signal?: AbortSignal,
): AsyncGenerator<LogLine> {
  const cursors = await openCursors(paths, selection, false);
  try {
    for await (const line of mergeCursors(cursors, sinceMs(selection.since), signal)) {
      yield toLogLine(line);
    }
  } finally {
    await Promise.all(cursors.map((cursor) => cursor.close()));
  }
}

export interface FollowOptions {
  /** Named in the error when lines were lost. */
  containerId: string;
  isRunning: () => Promise<boolean>;
  /** Keeps the process alive while following. */
  hold: () => () => void;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Existing lines (after `since` and `tail`), then new ones as they are written, until the
 * container is no longer running and everything it wrote has been read, or the signal aborts.
 * Files are read only as the consumer asks for lines, so a slow consumer of a fast writer
 * costs a chunk per stream, not what the writer wrote meanwhile.
 */
export async function* followLogs(
  paths: Record<LogStream, string>,
  selection: LogSelection,
  options: FollowOptions,
): AsyncGenerator<LogLine> {
  const { signal } = options;
  const from = sinceMs(selection.since);
  const release = options.hold();
  const cursors = await openCursors(paths, selection, true).catch((error: unknown) => {
    release();
    throw error;
  });
  let last: Date | undefined;
  try {
    for (;;) {
      if (signal?.aborted) return;
      // Checked before reading: once it has stopped, this last read sees all it wrote.
      const running = await options.isRunning();
      try {
        for await (const line of mergeCursors(cursors, from, signal)) {
          const out = toLogLine(line);
          last = out.timestamp;
          yield out;
        }
      } catch (error) {
        if (!(error instanceof LogFileShrankError)) throw error;
        throw new LogLinesLostError(
          options.containerId,
          last,
          undefined,
          'its log file was truncated under the reader',
          { cause: error },
        );
      }
      if (!running || signal?.aborted) return;
      const aborted = await new Promise<boolean>((resolve) => {
        const onAbort = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve(false);
        }, options.pollMs ?? 50);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (aborted) return;
    }
  } finally {
    release();
    await Promise.all(cursors.map((cursor) => cursor.close()));
  }
}
