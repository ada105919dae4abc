import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { execStreams } from '../../src/processes/exec-streams.js';

/** One frame of the engine's multiplexed stream. */
function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Stands for the hijacked connection: what the test writes to it is what the engine sent. */
function connection() {
  const socket = new PassThrough();
  let pauses = 0;
  const pause = socket.pause.bind(socket);
  socket.pause = () => {
    pauses += 1;
    return pause();
  };
  return { socket, pauses: () => pauses };
}

const ID = 'a'.repeat(64);

describe('an exec connection split into streams', () => {
  it('stops reading the connection while a reader is behind, and resumes when it catches up', async () => {
    const { socket, pauses } = connection();
    const streams = execStreams(socket, ID, false);
    const payload = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 8; i++) socket.write(frame(1, payload));
    socket.end(frame(2, Buffer.from('done')));
    let bytes = 0;
    for await (const chunk of streams.stdout) {
      bytes += chunk.length;
      // A slow reader: the connection must wait for it, not buffer everything.
      expect(streams.stdout.readableLength).toBeLessThanOrEqual(
        streams.stdout.readableHighWaterMark + payload.length,
      );
      await sleep(1);
    }
    expect(bytes).toBe(8 * payload.length);
    expect(pauses(), 'the connection was paused for the slow reader').toBeGreaterThan(0);
    let err = '';
    for await (const chunk of streams.stderr) err += chunk.toString();
    expect(err).toBe('done');
  });

  it('drops what comes for a reader that went away, so the other stream goes on', async () => {
    const { socket } = connection();
    const streams = execStreams(socket, ID, false);
    for (let i = 0; i < 20; i++) socket.write(frame(1, Buffer.alloc(64 * 1024)));
    for (let i = 0; i < 3; i++) socket.write(frame(2, Buffer.from(`line ${i}\n`)));
    socket.end();
    for await (const _ of streams.stdout) break;
    let err = '';
    for await (const chunk of streams.stderr) err += chunk.toString();
    expect(err).toBe('line 0\nline 1\nline 2\n');
  });

  it('half-closes the connection when stdin ends, and keeps reading it', async () => {
    const { socket } = connection();
    let ended = false;
    const writes: string[] = [];
    const end = socket.end.bind(socket);
    socket.end = ((...args: unknown[]) => {
      ended = true;
      return (end as (...a: unknown[]) => PassThrough)(...args);
    }) as typeof socket.end;
    socket.on('data', (chunk: Buffer) => writes.push(chunk.toString()));
    const streams = execStreams(socket, ID, true);
    await new Promise<void>((resolve) => streams.stdin?.write('abc', () => resolve()));
    await new Promise<void>((resolve) => streams.stdin?.end(() => resolve()));
    expect(ended).toBe(true);
    expect(writes.join('')).toContain('abc');
  });
});
