import { describe, expect, it } from 'vitest';
import {
  collectStreams,
  collectText,
  FrameDecoder,
  LineAssembler,
  stampToSince,
} from '../../src/logs/demux.js';

function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** The same bytes cut into chunks of `size`, as a socket might deliver them. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('FrameDecoder', () => {
  const wire = Buffer.concat([
    frame(1, 'hello '),
    frame(2, Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff])),
    frame(1, ''),
    frame(1, 'wörld\n'),
  ]);

  it('splits streams apart whatever the chunk boundaries', async () => {
    for (const size of [1, 2, 3, 7, 8, 9, 13, wire.length]) {
      const { stdout, stderr } = await collectStreams(chunked(wire, size));
      expect(stdout.toString()).toBe('hello wörld\n');
      expect([...stderr]).toEqual([0x01, 0, 0, 0, 0, 0, 0, 0x02, 0xff]);
    }
  });

  it('keeps a multibyte character whole when a chunk splits it', async () => {
    const text = Buffer.concat([
      frame(1, Buffer.from([0xc3])),
      frame(2, 'x'),
      frame(1, Buffer.from([0xa9, 0x0a])),
    ]);
    expect(await collectText(chunked(text, 5))).toBe('xé\n');
  });

  it('says whether input ended on a frame boundary', () => {
    const decoder = new FrameDecoder();
    decoder.push(wire.subarray(0, 10));
    expect(decoder.complete).toBe(false);
    decoder.push(wire.subarray(10));
    expect(decoder.complete).toBe(true);
  });
});

describe('LineAssembler', () => {
  const at = (n: number) => `2024-05-01T10:00:0${n}.123456789Z`;
  const lines = (assembler: LineAssembler, bytes: Buffer) => {
    const decoder = new FrameDecoder();
    return decoder.push(bytes).flatMap((piece) => assembler.push(piece));
  };

  it('joins partial messages into lines stamped with when they began', () => {
    const assembler = new LineAssembler();
    const out = lines(
      assembler,
      Buffer.concat([
        frame(1, `${at(1)} par`),
        frame(2, `${at(2)} err\n`),
        frame(1, `${at(3)} tial\n`),
        frame(1, `${at(4)} last`),
      ]),
    );
    expect(out.map((l) => [l.stream, l.line, l.timestamp.toISOString()])).toEqual([
      ['stderr', 'err', '2024-05-01T10:00:02.123Z'],
      ['stdout', 'partial', '2024-05-01T10:00:01.123Z'],
    ]);
    expect(assembler.flush().map((l) => l.line)).toEqual(['last']);
  });

  it('resumes after a cursor without repeating or losing a message', () => {
    const first = new LineAssembler();
    lines(
      first,
      Buffer.concat([frame(1, `${at(1)} a\n`), frame(1, `${at(2)} b\n`), frame(1, `${at(2)} c\n`)]),
    );
    const cursor = first.cursor;
    expect(cursor).toEqual({ stamp: at(2), count: 2 });
    first.resumeAfter(cursor);
    const again = lines(
      first,
      Buffer.concat([frame(1, `${at(2)} b\n`), frame(1, `${at(2)} c\n`), frame(1, `${at(3)} d\n`)]),
    );
    expect(again.map((l) => l.line)).toEqual(['d']);
  });

  it('converts a stamp to the engine since form', () => {
    expect(stampToSince('2024-05-01T10:00:00.123456789Z')).toBe('1714557600.123456789');
    expect(stampToSince('2024-05-01T10:00:00Z')).toBe('1714557600.000000000');
    expect(stampToSince('nonsense')).toBeUndefined();
  });
});
