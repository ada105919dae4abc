import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { LogCursor, type StoredLogLine } from '../src/logs/log-cursor.js';
import { readLogLines, readLogs } from '../src/logs/log-files.js';
import { formatTimestamp, timestampMs } from '../src/logs/log-format.js';
import { firstRecordsSince, lastRecordsStart } from '../src/logs/log-seek.js';
import { tempDir } from './helpers.js';

const tagged = (line: { stream: string; line?: string; text?: string }) =>
  `${line.stream}:${line.line ?? line.text}`;

async function collect(lines: AsyncIterable<LogLine>): Promise<string[]> {
  const seen: string[] = [];
  for await (const line of lines) seen.push(tagged(line));
  return seen;
}

const BASE_NS = 1_700_000_000_000_000_000n;
/** Records about a millisecond apart, so `since` can fall between them. */
const stamp = (i: number) => formatTimestamp(BASE_NS + BigInt(i) * 1_000_123n);

interface Written {
  stream: 'stdout' | 'stderr';
  timestamp: string;
  text: string;
  offset: number;
}

/** Writes records to two files (which one by `pick`) and returns them with their offsets. */
async function writeLogs(
  dir: string,
  texts: string[],
  pick: (i: number) => 'stdout' | 'stderr',
): Promise<{ paths: Record<'stdout' | 'stderr', string>; written: Written[] }> {
  const paths = { stdout: join(dir, 'stdout.log'), stderr: join(dir, 'stderr.log') };
  const content = { stdout: [] as string[], stderr: [] as string[] };
  const size = { stdout: 0, stderr: 0 };
  const written = texts.map((text, i) => {
    const stream = pick(i);
    const timestamp = stamp(i);
    const record = `${timestamp} ${text}\n`;
    const offset = size[stream];
    content[stream].push(record);
    size[stream] += Buffer.byteLength(record);
    return { stream, timestamp, text, offset };
  });
  await writeFile(paths.stdout, content.stdout.join(''));
  await writeFile(paths.stderr, content.stderr.join(''));
  return { paths, written };
}

async function drain(cursor: LogCursor): Promise<StoredLogLine[]> {
  const lines: StoredLogLine[] = [];
  while (await cursor.advance()) lines.push(cursor.take() as StoredLogLine);
  return lines;
}

describe('chunked log reader', () => {
  const texts = Array.from({ length: 300 }, (_, i) =>
    i % 7 === 0 ? '' : `line ${i} ${'é日😀x'.repeat(i % 13)}${'-'.repeat(i % 5)}`,
  );

  it('reads records across chunk borders, multi-byte characters split included', async () => {
    const { paths, written } = await writeLogs(await tempDir('log-'), texts, () => 'stdout');
    for (const chunkBytes of [3, 5, 7, 31, 64, 1000]) {
      const cursor = new LogCursor(paths.stdout, 'stdout', { chunkBytes, maxRecordBytes: 256 });
      const lines = await drain(cursor);
      await cursor.close();
      expect(lines.map((l) => l.text)).toEqual(written.map((w) => w.text));
      expect(lines.map((l) => l.timestamp)).toEqual(written.map((w) => w.timestamp));
    }
  });

  it('waits for a record being written and reads it once it is complete', async () => {
    const path = join(await tempDir('log-'), 'stdout.log');
    await writeFile(path, `${stamp(0)} first\n${stamp(1)} sec`);
    const cursor = new LogCursor(path, 'stdout', { chunkBytes: 4 });
    expect((await cursor.advance())?.text).toBe('first');
    cursor.take();
    expect(await cursor.advance()).toBeUndefined();
    // The rest arrives with a character cut between two writes.
    const rest = Buffer.from('ond ü\n');
    await appendFile(path, rest.subarray(0, 5));
    expect(await cursor.advance()).toBeUndefined();
    await appendFile(path, Buffer.concat([rest.subarray(5), Buffer.from(`${stamp(2)}\n`)]));
    expect(cursor.take()).toBeUndefined();
    expect(await drain(cursor)).toEqual([
      { stream: 'stdout', timestamp: stamp(1), text: 'second ü' },
      { stream: 'stdout', timestamp: stamp(2), text: '' },
    ]);
    await cursor.close();
    // A file not there yet reads as empty until it appears.
    const later = new LogCursor(`${path}.later`, 'stderr');
    expect(await later.advance()).toBeUndefined();
    await writeFile(`${path}.later`, `${stamp(3)} now\n`);
    expect((await later.advance())?.text).toBe('now');
    await later.close();
  });

  it('cuts a record longer than the cap into pieces, without splitting a character', async () => {
    const path = join(await tempDir('log-'), 'stdout.log');
    const long = `${'€'.repeat(100)}😀${'€'.repeat(50)}`;
    const garbage = 'x'.repeat(300); // no timestamp: skipped whole, as the parser would
    await writeFile(path, `${stamp(0)} ${long}\n${garbage}\n${stamp(1)} after\n`);
    const cursor = new LogCursor(path, 'stdout', { chunkBytes: 16, maxRecordBytes: 64 });
    const lines = await drain(cursor);
    await cursor.close();
    const pieces = lines.slice(0, -1);
    expect(pieces.length).toBeGreaterThan(4);
    expect(pieces.map((l) => l.text).join('')).toBe(long);
    for (const piece of pieces) {
      expect(piece.timestamp).toBe(stamp(0));
      expect(piece.text).not.toContain('\uFFFD');
      expect(Buffer.byteLength(piece.text)).toBeLessThanOrEqual(64);
    }
    expect(lines.at(-1)).toEqual({ stream: 'stdout', timestamp: stamp(1), text: 'after' });
  });

  it('finds where the tail starts by reading backward, per file of the merge', async () => {
    const dir = await tempDir('log-');
    const { paths, written } = await writeLogs(dir, texts, (i) =>
      i % 3 === 0 || i % 11 === 0 ? 'stderr' : 'stdout',
    );
    const ends = {
      stdout: (await readFile(paths.stdout)).length,
      stderr: (await readFile(paths.stderr)).length,
    };
    const sinceAt = timestampMs(stamp(200));
    for (const since of [undefined, sinceAt]) {
      const selected = written.filter(
        (w) => since === undefined || timestampMs(w.timestamp) >= since,
      );
      for (const count of [0, 1, 2, 3, 10, 99, 250, 1000]) {
        const tail = count === 0 ? [] : selected.slice(-count);
        const ranges = await lastRecordsStart([paths.stdout, paths.stderr], count, since, 7);
        const expected = (['stdout', 'stderr'] as const).map((stream) => ({
          start: tail.find((w) => w.stream === stream)?.offset ?? ends[stream],
          end: ends[stream],
        }));
        expect(ranges, `tail ${count} since ${since}`).toEqual(expected);
      }
    }
  });

  it('finds where since starts by a binary search, past invalid and long lines', async () => {
    const dir = await tempDir('log-');
    // Long lines (beyond a probe's few KiB) and lines the parser skips, among valid ones.
    const odd = texts.map((text, i) => (i % 17 === 0 ? 'y'.repeat(5000 + i) : text));
    const { paths, written } = await writeLogs(dir, odd, (i) =>
      i % 3 === 0 ? 'stderr' : 'stdout',
    );
    // Lines the parser skips at both ends, and a record still being written.
    const garbage = Buffer.from('garbage\n');
    const records = await readFile(paths.stdout);
    const trailer = Buffer.from('not a record\n');
    await writeFile(
      paths.stdout,
      Buffer.concat([garbage, records, trailer, Buffer.from(`${stamp(9999)} partial`)]),
    );
    for (const w of written) if (w.stream === 'stdout') w.offset += garbage.length;
    const ends = {
      stdout: garbage.length + records.length + trailer.length,
      stderr: (await readFile(paths.stderr)).length,
    };
    const sinces = [0, 1, 2, 17, 18, 150, 298, 299, 300].map((i) => timestampMs(stamp(i)));
    for (const since of [...sinces, Number.NaN, (sinces[0] as number) - 1e9]) {
      const ranges = await firstRecordsSince([paths.stdout, paths.stderr], since);
      const expected = (['stdout', 'stderr'] as const).map((stream) => ({
        start:
          written.find((w) => w.stream === stream && timestampMs(w.timestamp) >= since)?.offset ??
          ends[stream],
        end: ends[stream],
      }));
      expect(ranges, `since ${since}`).toEqual(expected);
    }
    expect(await firstRecordsSince([join(dir, 'missing.log')], 0)).toEqual([{ start: 0, end: 0 }]);
  });

  it('reads large files, whole or in part, the same as loading them would', async () => {
    const many = Array.from({ length: 12_000 }, (_, i) => `record ${i} ${'z'.repeat(i % 40)}`);
    const { paths, written } = await writeLogs(await tempDir('log-'), many, (i) =>
      i % 4 === 0 ? 'stderr' : 'stdout',
    );
    // A partial record at the end is still being written: no reader shows it.
    await appendFile(paths.stdout, `${stamp(99_999)} parti`);
    const since = timestampMs(stamp(9_000));
    const cases = [
      {},
      { tail: 0 },
      { tail: 7 },
      { since },
      { since, tail: 5 },
      { stderr: false, tail: 3 },
      { stdout: false, since },
    ];
    for (const selection of cases) {
      const expected = written
        .filter((w) => selection.since === undefined || timestampMs(w.timestamp) >= since)
        .filter((w) => (selection as Record<string, unknown>)[w.stream] !== false)
        .slice(selection.tail === undefined ? 0 : -selection.tail || written.length)
        .map(tagged);
      expect(await collect(readLogs(paths, selection)), JSON.stringify(selection)).toEqual(
        expected,
      );
      const loaded = await readLogLines(paths, selection);
      expect(loaded.map(tagged), JSON.stringify(selection)).toEqual(expected);
    }
  });
});
