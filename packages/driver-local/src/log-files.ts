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

async function readWhole(path: string): Promise<string> {
  try {
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
