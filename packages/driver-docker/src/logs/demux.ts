import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '@berth/core';

export type StreamName = 'stdout' | 'stderr';

/** A slice of one frame's payload. A frame may arrive in several pieces across chunks. */
export interface FramePiece {
  stream: StreamName;
  payload: Buffer;
  /** This piece starts a frame (for the engine: a new log message). */
  first: boolean;
  /** This piece ends a frame. */
  last: boolean;
}

const HEADER_SIZE = 8;

/**
 * Incremental parser for the engine's multiplexed stream (8-byte header: stream type, 3 zero
 * bytes, big-endian payload length). Payloads are handed out as slices of the incoming chunks,
 * never copied or gathered, so a 10 MB log costs no more memory than its chunks in flight.
 */
export class FrameDecoder {
  readonly #header = Buffer.alloc(HEADER_SIZE);
  #headerFill = 0;
  #remaining = 0;
  #stream: StreamName = 'stdout';
  #atFrameStart = true;

  push(chunk: Buffer): FramePiece[] {
    const pieces: FramePiece[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(HEADER_SIZE - this.#headerFill, chunk.length - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + take);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < HEADER_SIZE) break;
        this.#headerFill = 0;
        // 1 stdout, 2 stderr, 3 an engine-side error written into the stream: treat it as stderr
        // so it is seen rather than silently mixed into the program's output.
        this.#stream = this.#header[0] === 1 ? 'stdout' : 'stderr';
        this.#remaining = this.#header.readUInt32BE(4);
        this.#atFrameStart = true;
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      this.#remaining -= take;
      pieces.push({
        stream: this.#stream,
        payload: chunk.subarray(offset, offset + take),
        first: this.#atFrameStart,
        last: this.#remaining === 0,
      });
      this.#atFrameStart = false;
      offset += take;
    }
    return pieces;
  }

  /** True when the input so far ended exactly on a frame boundary. */
  get complete(): boolean {
    return this.#remaining === 0 && this.#headerFill === 0;
  }
}

/** Splits a whole multiplexed buffer into per-stream byte buffers. */
export async function collectStreams(
  source: AsyncIterable<Buffer>,
): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const decoder = new FrameDecoder();
  const out: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  for await (const chunk of source) {
    for (const piece of decoder.push(chunk)) out[piece.stream].push(piece.payload);
  }
  return { stdout: Buffer.concat(out.stdout), stderr: Buffer.concat(out.stderr) };
}

/**
 * Text of both streams in arrival order. One UTF-8 decoder per stream, so a character split
 * across two frames of the same stream (or interleaved with the other stream) stays whole.
 */
export async function collectText(source: AsyncIterable<Buffer>): Promise<string> {
  const decoder = new FrameDecoder();
  const text = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const parts: string[] = [];
  for await (const chunk of source) {
    for (const piece of decoder.push(chunk)) parts.push(text[piece.stream].write(piece.payload));
  }
  parts.push(text.stdout.end(), text.stderr.end());
  return parts.join('');
}

// A line that never ends must not grow without bound: past this, it is emitted as it stands.
const MAX_LINE_CHARS = 1024 * 1024;

interface PendingLine {
  text: string;
  timestamp: Date | undefined;
}

/** Where a reader got to in a `timestamps=1` log: the last message's raw stamp, and how many had it. */
export interface LogCursor {
  stamp: string;
  count: number;
}

/** `2024-05-01T10:00:00.123456789Z` → `1714557600.123456789`, the engine's `since` form. */
export function stampToSince(stamp: string): string | undefined {
  const match = /^(.{19})(?:\.(\d+))?Z$/.exec(stamp);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}Z`) / 1000;
  if (Number.isNaN(seconds)) return undefined;
  return `${seconds}.${(match[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

/**
 * Turns frames of a `timestamps=1` log stream into lines. Each frame is one engine message
 * prefixed by its RFC 3339 time and a space; long lines arrive as several messages, so text is
 * carried over until a newline. It remembers where it got to, so a second read from that point
 * (see `resumeAfter`) continues without repeating anything.
 */
export class LineAssembler {
  readonly #frame: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #pending: Record<StreamName, PendingLine> = {
    stdout: { text: '', timestamp: undefined },
    stderr: { text: '', timestamp: undefined },
  };
  #cursor: LogCursor = { stamp: '', count: 0 };
  #skip: LogCursor | undefined;

  get cursor(): LogCursor {
    return { ...this.#cursor };
  }

  /** Drops messages up to and including `cursor` from what is pushed next. */
  resumeAfter(cursor: LogCursor): void {
    this.#skip = { ...cursor };
  }

  push(piece: FramePiece): LogLine[] {
    const parts = this.#frame[piece.stream];
    parts.push(piece.payload);
    if (!piece.last) return [];
    const message = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    parts.length = 0;
    return this.#message(piece.stream, message);
  }

  /** Whatever is left once the stream ended: unterminated last lines. */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const pending = this.#pending[stream];
      pending.text += this.#decoders[stream].end();
      if (pending.text !== '') lines.push(this.#take(stream));
    }
    return lines;
  }

  #seen(raw: string): boolean {
    const skip = this.#skip;
    if (skip) {
      // Fixed-width RFC 3339 stamps compare as strings.
      if (raw < skip.stamp) return true;
      if (raw === skip.stamp && skip.count > 0) {
        skip.count--;
        return true;
      }
      this.#skip = undefined;
    }
    if (raw === this.#cursor.stamp) this.#cursor.count++;
    else this.#cursor = { stamp: raw, count: 1 };
    return false;
  }

  #message(stream: StreamName, message: Buffer): LogLine[] {
    const space = message.indexOf(0x20);
    const raw = space > 0 ? message.toString('latin1', 0, space) : '';
    const parsed = raw ? new Date(raw) : undefined;
    const stamp = parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
    if (stamp && this.#seen(raw)) return [];
    const body = stamp ? message.subarray(space + 1) : message;
    const pending = this.#pending[stream];
    const segments = (pending.text + this.#decoders[stream].write(body)).split('\n');
    const rest = segments.pop() ?? '';
    const lines: LogLine[] = segments.map((line, index) => ({
      stream,
      line,
      // A line carried over from earlier messages dates from when it began.
      timestamp: (index === 0 ? pending.timestamp : undefined) ?? stamp ?? new Date(),
    }));
    if (segments.length > 0) pending.timestamp = undefined;
    pending.text = rest;
    if (rest !== '') pending.timestamp ??= stamp;
    if (rest.length > MAX_LINE_CHARS) lines.push(this.#take(stream));
    return lines;
  }

  #take(stream: StreamName): LogLine {
    const pending = this.#pending[stream];
    const line: LogLine = {
      stream,
      line: pending.text,
      timestamp: pending.timestamp ?? new Date(),
    };
    pending.text = '';
    pending.timestamp = undefined;
    return line;
  }
}

/**
 * The raw stamps of one stream's messages in a `timestamps=1` log, and how many messages of
 * either stream there were. Keeps only each message's first bytes, never the log.
 */
export async function messageStamps(
  source: AsyncIterable<Buffer>,
  stream: StreamName,
): Promise<{ stamps: string[]; messages: number }> {
  const decoder = new FrameDecoder();
  const stamps: string[] = [];
  let messages = 0;
  let head: Buffer[] = [];
  let headLength = 0;
  for await (const chunk of source) {
    for (const piece of decoder.push(chunk)) {
      if (piece.first) {
        messages++;
        head = [];
        headLength = 0;
      }
      if (piece.stream !== stream) continue;
      // A stamp is at most 35 bytes; it can only be split when a chunk ends inside it.
      if (headLength < 40) {
        head.push(piece.payload.subarray(0, 40 - headLength));
        headLength += Math.min(piece.payload.length, 40 - headLength);
      }
      if (piece.last) {
        const text = Buffer.concat(head).toString('latin1');
        const space = text.indexOf(' ');
        if (space > 0) stamps.push(text.slice(0, space));
      }
    }
  }
  return { stamps, messages };
}
