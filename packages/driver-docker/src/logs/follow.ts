import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LogLine, LogLinesLostError } from '@berth/core';
import { FrameDecoder, type LineAssembler, type LogCursor, stampToSince } from './demux.js';

/*
 * Following a log without the engine's follow. Docker 20.10's follower skips and repeats
 * messages when the log rotates under a slow reader, and may end the stream early, all without
 * a word. So a follow here is a series of ordinary reads, each resuming right after the last
 * message delivered, and a read that can no longer find that message reports the lines lost.
 */

export interface FollowSource {
  readonly containerId: string;
  /** A `timestamps=1` read of both streams, never following. */
  read(query: { tail?: number; since?: string }): Promise<IncomingMessage>;
  /** False once the container has stopped: everything it wrote is then in the log. */
  running(): Promise<boolean>;
}

export interface FollowOptions {
  /** Streams the caller asked for; reads cover both so a cursor of either is found again. */
  wanted: (stream: LogLine['stream']) => boolean;
  /** Engine `since` for reads while no message has been seen (the caller's window). */
  since?: string | undefined;
  /** The caller's `since`: earlier lines are never delivered. */
  sinceMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

const MIN_WINDOW = 256;
const MAX_WINDOW = 16_384;
const IDLE_FIRST_MS = 20;
const IDLE_MAX_MS = 250;

/** Stamps are fixed-width RFC 3339, so they order as strings. */
function dateOf(stamp: string): Date | undefined {
  const date = new Date(stamp);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The raw stamp a message starts with, once its first bytes are in. */
class FirstStamp {
  #head = '';
  stamp: string | undefined;
  done = false;

  push(payload: Buffer): void {
    if (this.done) return;
    this.#head += payload.toString('latin1', 0, Math.min(payload.length, 40));
    const space = this.#head.indexOf(' ');
    if (space > 0 || this.#head.length >= 40) {
      this.stamp = space > 0 ? this.#head.slice(0, space) : undefined;
      this.done = true;
    }
  }
}

type Verdict = 'covers' | 'misses' | 'lost';

interface ReadState {
  verdict: Verdict | undefined;
  firstStamp: string | undefined;
}

function fresh(): ReadState {
  return { verdict: undefined, firstStamp: undefined };
}

/**
 * One read's messages after `cursor`, as lines. `judge` sees the stamp of the read's first
 * message (undefined: the read was empty) and decides whether the read reaches back to the
 * cursor; a read that does not is abandoned ('misses') or proves lines lost ('lost').
 */
async function* readAfter(
  response: IncomingMessage,
  lines: LineAssembler,
  cursor: LogCursor,
  judge: (first: string | undefined) => Verdict,
  state: ReadState,
  options: FollowOptions,
): AsyncGenerator<LogLine> {
  const frames = new FrameDecoder();
  const first = new FirstStamp();
  const pending: Parameters<LineAssembler['push']>[0][] = [];
  try {
    for await (const chunk of response) {
      for (const piece of frames.push(chunk as Buffer)) {
        if (state.verdict === undefined) {
          first.push(piece.payload);
          pending.push(piece);
          if (!first.done) continue;
          state.firstStamp = first.stamp;
          state.verdict = judge(first.stamp);
          if (state.verdict !== 'covers') return;
          lines.resumeAfter(cursor);
          for (const held of pending.splice(0)) yield* wantedLines(lines.push(held), options);
          continue;
        }
        yield* wantedLines(lines.push(piece), options);
        if (options.signal?.aborted) return;
      }
    }
    if (state.verdict === undefined) {
      state.verdict = judge(undefined);
      if (state.verdict === 'covers') {
        lines.resumeAfter(cursor);
        for (const held of pending) yield* wantedLines(lines.push(held), options);
      }
    }
  } finally {
    response.destroy();
  }
}

function* wantedLines(lines: LogLine[], options: FollowOptions): Generator<LogLine> {
  for (const line of lines) {
    if (options.signal?.aborted) return;
    if (!options.wanted(line.stream)) continue;
    // A `since` later than the log's last message when the follow began.
    if (options.sinceMs !== undefined && line.timestamp.getTime() < options.sinceMs) continue;
    yield line;
  }
}

function sameCursor(a: LogCursor, b: LogCursor): boolean {
  return a.stamp === b.stamp && a.count === b.count;
}

/**
 * Lines written after what `lines` has seen, until the container stops or the signal aborts.
 * Throws LogLinesLostError (after the lines before the gap) when the log no longer holds the
 * last message delivered: rotation deleted what came between.
 */
export async function* followLog(
  source: FollowSource,
  lines: LineAssembler,
  options: FollowOptions,
): AsyncGenerator<LogLine> {
  const { signal } = options;
  let window = MIN_WINDOW;
  let idle = IDLE_FIRST_MS;
  let stopped = false;
  let cursor = lines.cursor;
  if (cursor.stamp === '') {
    // Nothing delivered yet (an empty window, or tail 0): new messages are those after the
    // log's last one, of either stream (the stream filter is applied here, after reading).
    const probe = fresh();
    for await (const _ of readAfter(
      await source.read({ tail: 1 }),
      lines,
      cursor,
      () => 'misses',
      probe,
      options,
    ));
    if (probe.firstStamp !== undefined) cursor = { stamp: probe.firstStamp, count: 1 };
  }
  for (;;) {
    if (signal?.aborted) return;
    const before = cursor;
    if (cursor.stamp === '') {
      // The log was empty: every message it holds now is new.
      yield* readAfter(
        await source.read(options.since === undefined ? {} : { since: options.since }),
        lines,
        cursor,
        () => 'covers',
        fresh(),
        options,
      );
    } else {
      const mark = cursor.stamp;
      const recent = fresh();
      // The latest messages, when they reach back past the cursor: cheap however long the log.
      yield* readAfter(
        await source.read({ tail: window }),
        lines,
        cursor,
        (first) => (first !== undefined && first < mark ? 'covers' : 'misses'),
        recent,
        options,
      );
      if (recent.verdict === 'misses') {
        window = Math.min(MAX_WINDOW, window * 4);
        // More was written than the window holds: read from the cursor itself. The engine's
        // `since` is inclusive, so a log that still holds the cursor's message starts with it.
        const exact = fresh();
        yield* readAfter(
          await source.read({ since: stampToSince(mark) }),
          lines,
          cursor,
          (first) => (first === mark ? 'covers' : 'lost'),
          exact,
          options,
        );
        if (exact.verdict === 'lost') {
          if (signal?.aborted) return;
          yield* wantedLines(lines.flush(), options);
          throw new LogLinesLostError(
            source.containerId,
            dateOf(mark),
            exact.firstStamp === undefined ? undefined : dateOf(exact.firstStamp),
            'the engine no longer holds the last line delivered: its log rotated before the lines after it were read',
          );
        }
      }
    }
    if (signal?.aborted) return;
    if (lines.cursor.stamp !== '') cursor = lines.cursor;
    if (stopped) return;
    if (!sameCursor(before, cursor)) {
      idle = IDLE_FIRST_MS;
      continue;
    }
    // Nothing new. A stopped container writes nothing more: one last read, for what it wrote
    // between the read above and stopping, and the log is complete.
    if (!(await source.running())) {
      stopped = true;
      continue;
    }
    await sleep(idle, undefined, { signal }).catch(() => undefined);
    idle = Math.min(IDLE_MAX_MS, idle * 2);
  }
}
