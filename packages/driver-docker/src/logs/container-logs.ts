import type { IncomingMessage } from 'node:http';
import {
  type GetLogsOptions,
  isAbortError,
  type LogLine,
  type LogOptions,
  type StreamLogsOptions,
} from '@berth/core';
import type { ParsedLogOptions, PrimitiveContext } from '@berth/core/kit';
import type { LogBuffers } from '../docker-driver.js';
import { mapEngineError } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';
import {
  collectStreams,
  collectText,
  FrameDecoder,
  LineAssembler,
  messageStamps,
  stampToSince,
} from './demux.js';
import { type FollowSource, followLog } from './follow.js';
import { engineTime, logQuery } from './query.js';

export async function getContainerLogs(
  session: EngineSession,
  id: string,
  parsed: LogOptions,
  ctx: PrimitiveContext,
): Promise<string> {
  const options: GetLogsOptions = { ...parsed, signal: ctx.signal };
  if (options.stdout === false && options.stderr === false) {
    await session.requireManaged(id, options.signal, 'reads');
    return '';
  }
  const window = await tailWindow(session, id, options);
  if (!window) return '';
  return collectText(
    await logResponse(session, id, window.options, false, undefined, window.since),
  );
}

/** Output as raw bytes per stream: byte-exact even when the program writes binary. */
export async function getContainerLogBuffers(
  session: EngineSession,
  id: string,
  parsed: LogOptions,
  ctx: PrimitiveContext,
): Promise<LogBuffers> {
  const options: GetLogsOptions = { ...parsed, signal: ctx.signal };
  const empty = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  if (options.stdout === false && options.stderr === false) {
    await session.requireManaged(id, options.signal, 'reads');
    return empty;
  }
  const window = await tailWindow(session, id, options);
  if (!window) return empty;
  return collectStreams(
    await logResponse(session, id, window.options, false, undefined, window.since),
  );
}

export async function* streamLogs(
  session: EngineSession,
  id: string,
  parsed: ParsedLogOptions,
  ctx: PrimitiveContext,
): AsyncGenerator<LogLine> {
  const options: StreamLogsOptions = { ...parsed, signal: ctx.signal };
  const { signal } = options;
  if (options.stdout === false && options.stderr === false) {
    await session.requireManaged(id, signal, 'reads');
    return;
  }
  const lines = new LineAssembler();
  try {
    const window = (await tailWindow(session, id, options)) ?? {
      options: { ...options, tail: 0 },
    };
    // Timestamps always: every line carries the time the engine recorded it, and they let
    // a follow resume exactly after the last message delivered.
    const first = await logResponse(session, id, window.options, false, true, window.since);
    yield* readLines(first, lines, signal);
    if (options.follow === true && !signal?.aborted) {
      const since = options.since === undefined ? undefined : new Date(options.since).getTime();
      yield* followLog(followSource(session, id, signal), lines, {
        wanted: (stream) => (stream === 'stdout' ? options.stdout : options.stderr) !== false,
        since: window.since ?? (since === undefined ? undefined : engineTime(since)),
        sinceMs: since,
        signal,
      });
    }
    if (!signal?.aborted) yield* lines.flush();
  } catch (error) {
    // Aborting is how a follower says it has seen enough: the stream simply ends.
    if (signal?.aborted || isAbortError(error)) return;
    throw mapEngineError(error, { kind: 'container', op: 'other', id });
  }
}

async function logResponse(
  session: EngineSession,
  id: string,
  options: GetLogsOptions,
  follow: boolean,
  timestamps?: boolean,
  since?: string,
): Promise<IncomingMessage> {
  await session.requireManaged(id, options.signal, 'reads');
  const query = logQuery(options, timestamps === undefined ? { follow } : { follow, timestamps });
  if (since !== undefined) query.since = since;
  return session.stream(
    {
      method: 'GET',
      path: session.path(id, '/logs'),
      query,
      signal: options.signal,
    },
    { kind: 'container', op: 'other', id },
  );
}

/**
 * The engine applies `tail` to both streams together and only then drops the one not asked
 * for, so "the last 2 lines of stdout" can come back short, or empty. For one stream, find
 * where its last `tail` messages begin and read from there. `null`: it has none.
 */
async function tailWindow(
  session: EngineSession,
  id: string,
  options: GetLogsOptions,
): Promise<{ options: GetLogsOptions; since?: string | undefined } | null> {
  const { tail } = options;
  const single = (options.stdout === false) !== (options.stderr === false);
  if (tail === undefined || tail === 0 || !single) return { options };
  const stream = options.stdout === false ? 'stderr' : 'stdout';
  const rest = { ...options, tail: undefined };
  for (let window = Math.max(64, tail * 2); ; window *= 4) {
    const response = await logResponse(
      session,
      id,
      { ...options, stdout: true, stderr: true, tail: window },
      false,
      true,
    );
    const { stamps, messages } = await messageStamps(response, stream).catch((error) => {
      throw mapEngineError(error, { kind: 'container', op: 'other', id });
    });
    if (stamps.length >= tail) {
      return { options: rest, since: stampToSince(stamps[stamps.length - tail] ?? '') };
    }
    // Fewer messages than asked for: that was the whole log.
    if (messages < window) {
      return stamps.length === 0 ? null : { options: rest, since: stampToSince(stamps[0] ?? '') };
    }
  }
}

function followSource(
  session: EngineSession,
  id: string,
  signal: AbortSignal | undefined,
): FollowSource {
  return {
    containerId: id,
    read: ({ tail, since }) =>
      session.stream(
        {
          method: 'GET',
          path: session.path(id, '/logs'),
          query: {
            stdout: true,
            stderr: true,
            timestamps: true,
            follow: false,
            tail: tail ?? 'all',
            since,
          },
          signal,
        },
        { kind: 'container', op: 'other', id },
      ),
    running: async () => (await session.inspectOrThrow(id, signal)).State.Running === true,
  };
}

async function* readLines(
  response: IncomingMessage,
  lines: LineAssembler,
  signal: AbortSignal | undefined,
): AsyncGenerator<LogLine> {
  const frames = new FrameDecoder();
  try {
    for await (const chunk of response) {
      for (const piece of frames.push(chunk as Buffer)) {
        for (const line of lines.push(piece)) {
          // Lines already parsed from this chunk are not handed out after an abort.
          if (signal?.aborted) return;
          yield line;
        }
      }
    }
  } finally {
    response.destroy();
  }
}
