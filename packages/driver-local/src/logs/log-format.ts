/*
 * On-disk log format, shared by the supervisor (writer) and the driver (reader): one record per
 * line, `<RFC 3339 timestamp with nanoseconds> <text>`. The timestamp has a fixed width, so the
 * text starts at a fixed offset, and within one supervisor timestamps strictly increase across
 * stdout and stderr, so merging the two files by timestamp restores the order lines were read.
 */

export const TIMESTAMP_WIDTH = 30;

/** Lines longer than this are split, so one endless line cannot grow the supervisor's memory. */
export const MAX_LINE_LENGTH = 16 * 1024;

export class LogClock {
  private readonly anchorNs: bigint;
  private readonly anchorHr: bigint;
  private lastNs = 0n;

  constructor() {
    this.anchorNs = BigInt(Date.now()) * 1_000_000n;
    this.anchorHr = process.hrtime.bigint();
  }

  /** Wall-clock time at nanosecond resolution, never equal to or before the previous call. */
  next(): string {
    let ns = this.anchorNs + (process.hrtime.bigint() - this.anchorHr);
    if (ns <= this.lastNs) ns = this.lastNs + 1n;
    this.lastNs = ns;
    return formatTimestamp(ns);
  }
}

export function formatTimestamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const subMs = String(ns % 1_000_000n).padStart(6, '0');
  return `${iso.slice(0, 23)}${subMs}Z`;
}

/** Milliseconds since the epoch of a stored timestamp. */
export function timestampMs(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 23)}Z`);
}

export interface StoredLine {
  timestamp: string;
  text: string;
}

/** Parses a log file's text into records; an unterminated last line is incomplete and skipped. */
export function parseLogText(text: string): { lines: StoredLine[]; consumed: number } {
  const lines: StoredLine[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end === -1) break;
    const record = text.slice(start, end);
    if (record.length > TIMESTAMP_WIDTH && record[TIMESTAMP_WIDTH] === ' ') {
      lines.push({
        timestamp: record.slice(0, TIMESTAMP_WIDTH),
        text: record.slice(TIMESTAMP_WIDTH + 1),
      });
    } else if (record.length === TIMESTAMP_WIDTH) {
      lines.push({ timestamp: record, text: '' });
    }
    start = end + 1;
  }
  return { lines, consumed: start };
}
