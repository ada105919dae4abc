import { type Duplex, Readable, Writable } from 'node:stream';
import { ConflictError } from '@berth/core';
import { mapEngineError } from '../engine/error-mapping.js';
import { FrameDecoder } from '../logs/demux.js';

/*
 * An exec's hijacked connection as the kit wants it: the engine's multiplexed output split into
 * two byte streams, and stdin written to the connection. Backpressure is the streams' own: when
 * either output stream holds a full buffer nobody has read, the connection is no longer read,
 * so the engine stops reading the process's pipes and the process waits, as on a full pipe.
 */

export interface ExecStreams {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable | undefined;
  /** Settles once the connection has closed: the engine sent everything it will. */
  closed: Promise<void>;
  /** Whether the engine ended the connection (false while open, or when it broke). */
  readonly finished: () => boolean;
}

const ignore = () => undefined;

export function execStreams(socket: Duplex, containerId: string, withStdin: boolean): ExecStreams {
  const decoder = new FrameDecoder();
  let paused = false;
  let finished = false;
  const full = (stream: Readable) =>
    !stream.destroyed && stream.readableLength >= stream.readableHighWaterMark;
  const resumeIfRoom = () => {
    if (!paused || full(stdout) || full(stderr)) return;
    paused = false;
    socket.resume();
  };
  const output = () => {
    const stream = new Readable({
      // Deferred: a Readable asks for more before taking the chunk it hands out from its
      // buffer, which would still look full, and it does not ask again until something comes.
      read: () => process.nextTick(resumeIfRoom),
      destroy(error, callback) {
        callback(error);
        // A reader that went away reads nothing more: what comes for it is dropped.
        setImmediate(resumeIfRoom);
      },
    });
    // Errors reach whoever reads; a stream nobody reads must not turn one into a crash.
    stream.on('error', ignore);
    return stream;
  };
  const stdout = output();
  const stderr = output();
  const end = (error?: unknown) => {
    for (const stream of [stdout, stderr]) {
      if (stream.destroyed) continue;
      if (error) stream.destroy(error as Error);
      else stream.push(null);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    let behind = false;
    for (const piece of decoder.push(chunk)) {
      const target = piece.stream === 'stdout' ? stdout : stderr;
      if (target.destroyed) continue;
      if (!target.push(piece.payload)) behind = true;
    }
    if (behind && (full(stdout) || full(stderr))) {
      paused = true;
      socket.pause();
    }
  });
  socket.on('end', () => {
    finished = true;
    end();
  });
  socket.on('error', (error: unknown) =>
    end(mapEngineError(error, { kind: 'container', op: 'other', id: containerId })),
  );
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      // Closed without an end or an error (destroyed here): the readers are not left waiting.
      end();
      resolve();
    });
  });

  return {
    stdout,
    stderr,
    stdin: withStdin ? stdinOf(socket) : undefined,
    closed,
    finished: () => finished,
  };
}

/** Writes go to the connection; ending it half-closes the connection, which is the program's EOF. */
function stdinOf(socket: Duplex): Writable {
  const gone = () => new ConflictError('The process has ended; its stdin is gone');
  const stdin = new Writable({
    write(chunk, _encoding, callback) {
      if (socket.destroyed || socket.writableEnded) return callback(gone());
      // Called once the bytes are handed to the system: one chunk in flight at a time.
      socket.write(chunk, (error) => callback(error ? gone() : undefined));
    },
    final(callback) {
      if (socket.destroyed || socket.writableEnded) return callback();
      socket.end(() => callback());
    },
  });
  stdin.on('error', ignore);
  return stdin;
}
