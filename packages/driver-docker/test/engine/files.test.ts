import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  ConfigurationError,
  ConflictError,
  ContainerNotFoundError,
  FileNotFoundError,
  FileSystemError,
  packTar,
  readTar,
  type TarMember,
} from '@berth/core';
import { expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, eventually, IMAGE, shell, useSession } from '../support/engine.js';

const MB = 1024 * 1024;

function member(
  path: string,
  type: TarMember['entry']['type'],
  data = '',
  extra: Partial<TarMember['entry']> = {},
): TarMember {
  return {
    entry: {
      path,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      uid: 1000,
      gid: 1000,
      size: data.length,
      modifiedAt: new Date(1_700_000_000_000),
      ...extra,
    },
    data: new TextEncoder().encode(data),
  };
}

async function text(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describeEngine('files on a real engine', () => {
  const { driver, session } = useSession('files');
  const writable = (script = 'sleep 600', extra: Record<string, unknown> = {}) =>
    shell(session, script, { security: { readOnly: false }, ...extra });

  it('round-trips 20 MB written as a stream and read back as one, never whole in memory', async () => {
    const { id } = await driver.createContainer(writable());
    await driver.startContainer(id);
    const written = createHash('sha256');
    async function* twentyMegabytes() {
      // Not one repeated byte: a chunk lost, repeated or reordered changes the hash.
      for (let i = 0; i < 20 * 16; i++) {
        const chunk = Buffer.alloc(64 * 1024, i % 251);
        chunk.writeUInt32BE(i, 0);
        written.update(chunk);
        yield chunk;
      }
    }
    await driver.writeFile(id, '/tmp/big/blob.bin', twentyMegabytes());
    const read = createHash('sha256');
    let bytes = 0;
    let chunks = 0;
    let largest = 0;
    for await (const chunk of await driver.readFileStream(id, '/tmp/big/blob.bin')) {
      read.update(chunk);
      bytes += chunk.byteLength;
      chunks += 1;
      largest = Math.max(largest, chunk.byteLength);
    }
    expect(bytes).toBe(20 * MB);
    expect(read.digest('hex')).toBe(written.digest('hex'));
    // Streamed from the engine's socket: many chunks, none anywhere near the whole file.
    expect(chunks).toBeGreaterThan(20);
    expect(largest).toBeLessThan(4 * MB);
    const seen = await driver.exec(id, ['sh', '-c', 'wc -c < /tmp/big/blob.bin']);
    expect(seen.stdout.trim()).toBe(String(20 * MB));
  });

  it('gives up a write, an upload or a read when its signal aborts, leaving nothing behind', async () => {
    const { id } = await driver.createContainer(writable());
    await driver.startContainer(id);
    const spooled = () => readdirSync(tmpdir()).filter((n) => n.startsWith('berth-docker-write-'));
    const before = spooled();
    // Past what is held in memory, then nothing more, ever: only the signal ends the wait.
    const stalls = new AbortController();
    async function* stalled() {
      yield Buffer.alloc(2 * MB, 1);
      setTimeout(() => stalls.abort(), 100);
      await new Promise(() => undefined);
    }
    const write = driver.writeFile(id, '/tmp/stalled.bin', stalled(), { signal: stalls.signal });
    await expect(write).rejects.toMatchObject({ name: 'AbortError' });
    expect(spooled(), 'the spooled bytes are removed').toEqual(before);
    await expect(driver.readFile(id, '/tmp/stalled.bin')).rejects.toBeInstanceOf(FileNotFoundError);
    const tarStalls = new AbortController();
    async function* stalledTar() {
      // One whole member, then no end of the archive.
      for await (const block of packTar([member('a.txt', 'file', 'a')])) {
        if (block.byteLength < 1024) yield block;
      }
      setTimeout(() => tarStalls.abort(), 100);
      await new Promise(() => undefined);
    }
    const upload = driver.upload(id, '/tmp/up', stalledTar(), { signal: tarStalls.signal });
    await expect(upload).rejects.toMatchObject({ name: 'AbortError' });
    await driver.writeFile(id, '/tmp/big.bin', Buffer.alloc(8 * MB, 2));
    const controller = new AbortController();
    const stream = await driver.readFileStream(id, '/tmp/big.bin', { signal: controller.signal });
    let read = 0;
    const reading = (async () => {
      for await (const chunk of stream) {
        read += chunk.byteLength;
        if (read > MB) controller.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(read).toBeLessThan(8 * MB);
    // Nothing was left holding the container: the engine answers for it as before.
    await driver.writeFile(id, '/tmp/after.txt', 'after');
    expect(Buffer.from(await driver.readFile(id, '/tmp/after.txt')).toString()).toBe('after');
  });

  it('keeps modes (setuid, sticky) and owners through upload and download', async () => {
    const { id } = await driver.createContainer(writable());
    await driver.startContainer(id);
    await driver.upload(
      id,
      '/tmp/kept',
      packTar([
        member('shared', 'directory', '', { mode: 0o1777, uid: 2000, gid: 2001 }),
        member('shared/tool', 'file', '#!/bin/sh\n', { mode: 0o4755, uid: 0, gid: 0 }),
        member('shared/secret', 'file', 'k', { mode: 0o600, uid: 1234, gid: 4321 }),
        member('shared/link', 'symlink', '', { linkTarget: 'secret', uid: 1234, gid: 4321 }),
      ]),
    );
    const inside = await driver.exec(id, [
      'stat',
      '-c',
      '%n %a %u %g',
      '/tmp/kept/shared',
      '/tmp/kept/shared/tool',
      '/tmp/kept/shared/secret',
    ]);
    expect(inside.stdout.trim().split('\n')).toEqual([
      '/tmp/kept/shared 1777 2000 2001',
      '/tmp/kept/shared/tool 4755 0 0',
      '/tmp/kept/shared/secret 600 1234 4321',
    ]);
    const back = new Map<string, TarMember['entry']>();
    for await (const { entry } of readTar(await driver.download(id, '/tmp/kept/shared'))) {
      back.set(entry.path, entry);
    }
    expect(back.get('shared')).toMatchObject({ type: 'directory', mode: 0o1777, uid: 2000 });
    expect(back.get('shared/tool')).toMatchObject({ mode: 0o4755, uid: 0, gid: 0 });
    expect(back.get('shared/secret')).toMatchObject({ mode: 0o600, uid: 1234, gid: 4321 });
    expect(back.get('shared/link')).toMatchObject({ type: 'symlink', linkTarget: 'secret' });
    const listed = await driver.listFiles(id, '/tmp/kept/shared');
    expect(listed.map((f) => [f.name, f.type, f.mode]).sort()).toEqual([
      ['link', 'symlink', 0o777],
      ['secret', 'file', 0o600],
      ['tool', 'file', 0o4755],
    ]);
  });

  it('unpacks members whose directories the archive leaves out, making the missing ones', async () => {
    const { id } = await driver.createContainer(writable());
    await driver.startContainer(id);
    await driver.makeDir(id, '/tmp/site/pre/sub', { mode: 0o750 });
    // No directory members at all: each directory on the way is asked of the engine between
    // two PUTs (it answers nothing while one is unpacking), or made when it is missing.
    await driver.upload(
      id,
      '/tmp/site',
      packTar([
        member('top.txt', 'file', 'top'),
        member('pre/sub/one.txt', 'file', 'one'),
        member('new/deep/two.txt', 'file', 'two', { uid: 1234, gid: 4321 }),
        member('pre/sub/three.txt', 'file', 'three'),
      ]),
    );
    const listed = await driver.exec(id, [
      'sh',
      '-c',
      'cd /tmp/site && cat top.txt pre/sub/one.txt new/deep/two.txt pre/sub/three.txt && stat -c "%n %a %u:%g" pre/sub new new/deep new/deep/two.txt',
    ]);
    expect(listed.stdout.split('\n')).toEqual([
      'toponetwothreepre/sub 750 65534:65534',
      'new 755 65534:65534',
      'new/deep 755 65534:65534',
      'new/deep/two.txt 644 1234:4321',
      '',
    ]);
  });

  it("gives the kit's own writes to the container's user, looked up in the container", async () => {
    // No such user on the host: the engine's copyUIDGID would look it up there and fail.
    const { id } = await driver.createContainer(
      writable('sleep 600', { security: { readOnly: false, user: 'berth-files' } }),
    );
    // The user does not exist until these are written: they get an explicit owner.
    const asRoot = { owner: '0:0' };
    await driver.writeFile(id, '/etc/passwd', 'berth-files:x:4242:4343::/tmp:/bin/sh\n', asRoot);
    await driver.writeFile(id, '/etc/group', 'berth-group:x:4343:\n', asRoot);
    await driver.writeFile(id, '/tmp/mine/note', 'hi');
    const [note] = await driver.listFiles(id, '/tmp/mine/note');
    expect(note).toMatchObject({ uid: 4242, gid: 4343, mode: 0o644 });
    const [dir] = (await driver.listFiles(id, '/tmp')).filter((f) => f.name === 'mine');
    expect(dir, 'a parent it made belongs to the user too').toMatchObject({ uid: 4242, gid: 4343 });
    await driver.startContainer(id);
    const who = await driver.exec(id, ['sh', '-c', 'id -u; id -g; cat /tmp/mine/note']);
    expect(who.stdout).toBe('4242\n4343\nhi');
  });

  it('reads and writes a stopped or paused container; removing needs it running, and says so', async () => {
    const { id } = await driver.createContainer(writable('cat /tmp/early/note; sleep 600'));
    await driver.makeDir(id, '/tmp/early');
    await driver.writeFile(id, '/tmp/early/note', 'before start\n');
    await driver.upload(id, '/tmp/early', packTar([member('more.txt', 'file', 'more')]));
    expect(Buffer.from(await driver.readFile(id, '/tmp/early/note')).toString()).toBe(
      'before start\n',
    );
    expect((await driver.listFiles(id, '/tmp/early')).map((f) => f.name).sort()).toEqual([
      'more.txt',
      'note',
    ]);
    const refused = await driver.removeFile(id, '/tmp/early/more.txt').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toMatch(/startContainer/);
    // Forced, a missing path needs no process: nothing to remove is nothing to refuse.
    await driver.removeFile(id, '/tmp/early/never', { force: true });
    await driver.startContainer(id);
    await eventually(
      "the container to print 'before' (its logs)",
      () => driver.getContainerLogs(id),
      (logs) => logs.includes('before'),
      { timeoutMs: 5000 },
    );
    expect(await driver.getContainerLogs(id)).toBe('before start\n');
    await driver.pauseContainer(id);
    await driver.writeFile(id, '/tmp/early/paused.txt', 'frozen');
    expect(Buffer.from(await driver.readFile(id, '/tmp/early/paused.txt')).toString()).toBe(
      'frozen',
    );
    const paused = await driver.removeFile(id, '/tmp/early/more.txt').catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(ConflictError);
    expect((paused as Error).message).toMatch(/resumeContainer/);
    await driver.resumeContainer(id);
    await driver.removeFile(id, '/tmp/early/more.txt');
    await expect(driver.readFile(id, '/tmp/early/more.txt')).rejects.toBeInstanceOf(
      FileNotFoundError,
    );
    await driver.stopContainer(id, { force: true });
    expect(Buffer.from(await driver.readFile(id, '/tmp/early/note')).toString()).toBe(
      'before start\n',
    );
  });

  it('refuses writes to a read-only root with the fix, and writes into a volume on it', async () => {
    const volume = `${session}-data`;
    const { id } = await driver.createContainer(
      shell(session, 'sleep 600', { volumes: [{ source: volume, target: '/data' }] }),
    );
    await driver.startContainer(id);
    const refused = await driver.writeFile(id, '/tmp/x', 'x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FileSystemError);
    expect((refused as Error).message).toMatch(/read-only.*(volume|readOnly: false)/s);
    await driver.writeFile(id, '/data/mine/in-volume.txt', 'kept');
    const seen = await driver.exec(id, ['cat', '/data/mine/in-volume.txt']);
    expect(seen.stdout).toBe('kept');
    const rm = await driver.removeFile(id, '/tmp').catch((e: unknown) => e);
    expect(rm, 'removing from the read-only root').toBeInstanceOf(FileSystemError);
    expect((rm as Error).message).toMatch(/read-only/);
    // /data/mine is the container user's (made for the write), so the user may empty it.
    await driver.removeFile(id, '/data/mine/in-volume.txt');
    expect(await driver.listFiles(id, '/data/mine')).toEqual([]);
  });

  it("removes as the container's user, and as root only when the driver allows root", async () => {
    const { id } = await driver.createContainer(writable());
    await driver.startContainer(id);
    // /etc is root's: the engine writes there, the container's user may not remove from it.
    await driver.writeFile(id, '/etc/berth-note', 'x');
    const denied = await driver.removeFile(id, '/etc/berth-note').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(FileSystemError);
    expect((denied as Error).message).toMatch(/65534:65534.*Permission denied.*allowRoot/s);
    const rooted = new DockerDriver({ allowRoot: true });
    await rooted.removeFile(id, '/etc/berth-note');
    await expect(driver.readFile(id, '/etc/berth-note')).rejects.toBeInstanceOf(FileNotFoundError);
    const notEmpty = await driver.removeFile(id, '/tmp').catch((e: unknown) => e);
    expect(notEmpty, 'a directory with entries needs recursive').toBeInstanceOf(FileSystemError);
    await driver.makeDir(id, '/tmp/empty');
    await driver.removeFile(id, '/tmp/empty');
    expect((await driver.listFiles(id, '/tmp')).map((f) => f.name)).not.toContain('empty');
  });

  it('names a missing path, a directory where a file is wanted, and odd names', async () => {
    const { id } = await driver.createContainer(writable());
    await driver.startContainer(id);
    for (const call of [
      () => driver.readFile(id, '/tmp/none'),
      () => driver.readFileStream(id, '/tmp/none'),
      () => driver.listFiles(id, '/tmp/none'),
      () => driver.download(id, '/tmp/none'),
      () => driver.removeFile(id, '/tmp/none'),
      () => driver.readFile(id, '/tmp/none/deeper'),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileNotFoundError);
      expect((error as FileNotFoundError).containerId).toBe(id);
    }
    await expect(driver.readFile(id, '/tmp')).rejects.toBeInstanceOf(ConfigurationError);
    await driver.makeDir(id, '/tmp/d/inner');
    const over = await driver.writeFile(id, '/tmp/d', 'x').catch((e: unknown) => e);
    expect(over, 'a file never replaces a directory').toBeInstanceOf(ConfigurationError);
    expect((await driver.listFiles(id, '/tmp/d')).map((f) => f.name)).toEqual(['inner']);
    const odd = '/tmp/d/sp ace & q?x=1#h %41 ünï \'"$(id).txt';
    await driver.writeFile(id, odd, 'odd');
    expect(await text(await driver.readFileStream(id, odd))).toBe('odd');
    const seen = await driver.exec(id, ['cat', odd]);
    expect(seen.stdout).toBe('odd');
    // Past ustar's 100 bytes, and not ASCII: PAX records count bytes, as the engine checks.
    const long = `/tmp/d/${'ñ'.repeat(70)}/${'f'.repeat(150)}`;
    await driver.writeFile(id, long, 'long');
    expect(await text(await driver.readFileStream(id, long))).toBe('long');
    expect((await driver.listFiles(id, long))[0]).toMatchObject({ path: long, size: 4 });
  });

  it('lists the root, and files of a container that is not Berth’s are not found', async () => {
    const { id } = await driver.createContainer(writable());
    const root = await driver.listFiles(id, '/');
    expect(root.map((f) => f.name)).toEqual(expect.arrayContaining(['bin', 'etc', 'tmp']));
    expect(root.find((f) => f.name === 'etc')).toMatchObject({ path: '/etc', type: 'directory' });
    const foreign = await docker.createContainer({ Image: IMAGE });
    try {
      for (const call of [
        () => driver.readFile(foreign.id, '/etc/passwd'),
        () => driver.writeFile(foreign.id, '/tmp/x', 'x'),
        () => driver.listFiles(foreign.id, '/'),
        () => driver.removeFile(foreign.id, '/etc/passwd', { force: true }),
      ]) {
        await expect(call()).rejects.toBeInstanceOf(ContainerNotFoundError);
      }
    } finally {
      await foreign.remove({ force: true });
    }
  });
});
