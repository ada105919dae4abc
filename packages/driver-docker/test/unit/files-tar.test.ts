import { FileSystemError, packTar, readTar } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { fromGoMode } from '../../src/files/archive.js';
import { ancestorsOf, relativeTo } from '../../src/files/path-chain.js';
import { TarReader } from '../../src/files/tar-reader.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from '../../src/files/tar-writer.js';
import { memberPath } from '../../src/files/upload.js';

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const longName = `${'dir-ü/'.repeat(30)}file.txt`;
const longLink = `/${'x'.repeat(150)}`;

function archive(): Uint8Array {
  const body = new TextEncoder().encode('hello, tar');
  return Buffer.concat([
    encodeHeader({ name: 'd', type: 'directory', mode: 0o1777, uid: 1, gid: 2, size: 0, mtime: 5 }),
    encodeHeader({
      name: longName,
      type: 'file',
      mode: 0o4755,
      uid: 3_000_000,
      gid: 7,
      size: body.byteLength,
      mtime: 1_700_000_000,
    }),
    body,
    padding(body.byteLength),
    encodeHeader({
      name: 'l',
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      linkName: longLink,
    }),
    encodeHeader({
      name: 'h',
      type: 'hardlink',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      linkName: 'd/f',
    }),
    END_OF_ARCHIVE,
  ]);
}

describe('the streaming tar reader and the header writer', () => {
  it('round-trip long names and links, big ids and special modes, whatever the chunking', async () => {
    for (const size of [1, 7, 512, 100_000]) {
      const reader = new TarReader(pieces(archive(), size));
      const seen: unknown[] = [];
      for (let h = await reader.next(); h; h = await reader.next()) {
        const data = h.type === 'file' ? Buffer.from(await collect(reader.body())).toString() : '';
        seen.push([h.name, h.type, h.mode, h.uid, h.gid, h.size, h.mtime, h.linkName, data]);
      }
      expect(seen, `chunks of ${size}`).toEqual([
        ['d/', 'directory', 0o1777, 1, 2, 0, 5, '', ''],
        [longName, 'file', 0o4755, 3_000_000, 7, 10, 1_700_000_000, '', 'hello, tar'],
        ['l', 'symlink', 0o777, 0, 0, 0, 0, longLink, ''],
        ['h', 'hardlink', 0o644, 0, 0, 0, 0, 'd/f', ''],
      ]);
    }
  });

  it("writes what core's readTar reads, and reads what core's packTar writes", async () => {
    // ASCII and ids ustar holds: core's readTar measures PAX records in characters, not
    // bytes, and takes no uid from them (reported, left to core).
    const ascii = `${'dir/'.repeat(40)}file.txt`;
    const body = new TextEncoder().encode('hello, tar');
    const ours = Buffer.concat([
      encodeHeader({ name: ascii, type: 'file', mode: 0o4755, uid: 3, gid: 7, size: 10, mtime: 9 }),
      body,
      padding(body.byteLength),
      encodeHeader({
        name: 'l',
        type: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: 0,
        linkName: longLink,
      }),
      END_OF_ARCHIVE,
    ]);
    const read = [];
    for await (const { entry, data } of readTar(pieces(ours, 64))) {
      read.push({ ...entry, text: Buffer.from(data).toString() });
    }
    expect(read[0]).toMatchObject({
      path: ascii,
      mode: 0o4755,
      uid: 3,
      size: 10,
      text: 'hello, tar',
    });
    expect(read[1]).toMatchObject({ type: 'symlink', linkTarget: longLink });
    const packed = await collect(
      packTar([
        {
          entry: {
            path: ascii,
            type: 'file',
            mode: 0o600,
            uid: 9,
            gid: 9,
            size: 3,
            modifiedAt: new Date(0),
          },
          data: new TextEncoder().encode('abc'),
        },
      ]),
    );
    const reader = new TarReader(pieces(packed, 13));
    const header = await reader.next();
    expect(header).toMatchObject({ name: ascii, type: 'file', mode: 0o600, size: 3 });
    expect(Buffer.from(await collect(reader.body())).toString()).toBe('abc');
    expect(await reader.next()).toBeNull();
  });

  it('hands bodies on as slices of the chunks it was given, not copies', async () => {
    const body = new Uint8Array(4096).fill(7);
    const whole = Buffer.concat([
      encodeHeader({ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 4096, mtime: 0 }),
      body,
      END_OF_ARCHIVE,
    ]);
    const reader = new TarReader(pieces(whole, whole.byteLength));
    await reader.next();
    const parts = [];
    for await (const part of reader.body()) parts.push(part);
    expect(parts).toHaveLength(1);
    expect(parts[0]?.buffer).toBe(whole.buffer);
  });

  it('reads GNU long names and base-256 numbers', async () => {
    const name = 'g'.repeat(130);
    const gnu = (flag: string, size: number, label = '././@LongLink') => {
      const block = new Uint8Array(512);
      block.set(new TextEncoder().encode(label), 0);
      block.set(new TextEncoder().encode('0000644\0'), 100);
      block.set(new TextEncoder().encode(`${size.toString(8).padStart(11, '0')}\0`), 124);
      block[156] = flag.charCodeAt(0);
      block.set(new TextEncoder().encode('ustar  \0'), 257);
      return block;
    };
    const long = gnu('L', name.length + 1);
    const file = gnu('0', 0, 'short');
    // A uid of 2^40 in base-256: the high bit of the field's first byte set.
    file.fill(0, 108, 116);
    file[108] = 0x80;
    file[110] = 1;
    for (const block of [long, file]) {
      block.fill(32, 148, 156);
      const sum = block.reduce((a, b) => a + b, 0);
      block.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    }
    const nameBlock = new Uint8Array(512);
    nameBlock.set(new TextEncoder().encode(name), 0);
    const reader = new TarReader(
      pieces(Buffer.concat([long, nameBlock, file, END_OF_ARCHIVE]), 100),
    );
    expect(await reader.next()).toMatchObject({ name, uid: 2 ** 40, type: 'file' });
  });

  it('refuses a PAX record whose length is not its size in bytes', async () => {
    const good = encodeHeader({
      name: longName,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
    });
    const records = Buffer.from(good.subarray(512, 1024));
    // One byte short: what a writer counting characters instead of bytes (ü is two) gets.
    const length = Number.parseInt(records.toString('latin1', 0, records.indexOf(0x20)), 10);
    records.write(String(length - 1), 0, 'latin1');
    const bad = Buffer.concat([
      good.subarray(0, 512),
      records,
      good.subarray(1024),
      END_OF_ARCHIVE,
    ]);
    await expect(new TarReader(pieces(bad, 512)).next()).rejects.toThrow(/PAX record/);
  });

  it('refuses a damaged or cut archive instead of guessing', async () => {
    const bytes = archive();
    const damaged = Uint8Array.from(bytes);
    damaged[3] = (damaged[3] ?? 0) ^ 0xff;
    await expect(new TarReader(pieces(damaged, 512)).next()).rejects.toBeInstanceOf(
      FileSystemError,
    );
    const cut = bytes.subarray(0, 512 * 3 + 5);
    const reader = new TarReader(pieces(cut, 512));
    const read = async () => {
      for (let h = await reader.next(); h; h = await reader.next()) await collect(reader.body());
    };
    await expect(read()).rejects.toBeInstanceOf(FileSystemError);
  });
});

describe('file modes, paths and member names', () => {
  it("maps Go's file mode bits to a type and permission bits", () => {
    expect(fromGoMode(2147484141)).toEqual({ type: 'directory', mode: 0o755 });
    expect(fromGoMode(2148532735)).toEqual({ type: 'directory', mode: 0o1777 });
    expect(fromGoMode(134218239)).toEqual({ type: 'symlink', mode: 0o777 });
    expect(fromGoMode(420)).toEqual({ type: 'file', mode: 0o644 });
    expect(fromGoMode(2 ** 23 + 2 ** 22 + 0o755)).toEqual({ type: 'file', mode: 0o6755 });
    expect(fromGoMode(2 ** 26 + 2 ** 21 + 0o666)).toEqual({ type: 'other', mode: 0o666 });
    expect(fromGoMode(2 ** 25 + 0o600)).toEqual({ type: 'other', mode: 0o600 });
  });

  it('names the directories on the way, and refuses member names that leave the directory', () => {
    expect(ancestorsOf('/a/b/c')).toEqual(['/a', '/a/b']);
    expect(ancestorsOf('/a')).toEqual([]);
    expect(relativeTo('/', '/a/b')).toBe('a/b');
    expect(relativeTo('/a', '/a/b/c')).toBe('b/c');
    expect(memberPath('./a//b/')).toBe('a/b');
    expect(memberPath('.')).toBe('');
    for (const bad of ['../x', 'a/../../x', 'a/..', '/etc/passwd', 'a\0b']) {
      expect(() => memberPath(bad), bad).toThrow(FileSystemError);
    }
  });
});
