import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ConfigurationError,
  ConflictError,
  FileNotFoundError,
  FileSystemError,
  packTar,
  readTar,
  type TarMember,
  UnsupportedFeatureError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { UnsafeFileError } from '../src/index.js';
import { errorOf, inside, running, workDirOf } from './files-support.js';
import { containerUid, makeDriver, shell, tempDir } from './helpers.js';

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const unique = () => randomBytes(4).toString('hex');

function member(
  path: string,
  type: TarMember['entry']['type'],
  extra: Partial<TarMember['entry']> = {},
  data = '',
): TarMember {
  return {
    entry: {
      path,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      uid: 1000,
      gid: 1000,
      size: data.length,
      modifiedAt: new Date(1_600_000_000_000),
      ...extra,
    },
    data: new TextEncoder().encode(data),
  };
}

function recordOf(stateDir: string, id: string): { user: { uid: number; gid: number } } {
  return JSON.parse(readFileSync(join(stateDir, 'containers', id, 'container.json'), 'utf8'));
}

describe('files: where they are served', () => {
  it('reports files only where containers get a sandbox, and refuses them elsewhere', async () => {
    expect((await (await makeDriver()).capabilities()).files).toBe(true);
    const weak = await makeDriver({ enforcement: 'best-effort', isolation: { bubblewrap: false } });
    expect((await weak.capabilities()).files).toBe(false);
    const { id } = await weak.createContainer(shell('true'));
    const error = await errorOf(weak.writeFile(id, '/tmp/x', 'x'));
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
  });
});

describe('files: the README', () => {
  it("runs the Files section's snippet as it is written", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const snippet = readme.slice(readme.indexOf('## Files')).match(/```ts\n([\s\S]*?)```/)?.[1];
    expect(snippet).toBeDefined();
    // In the package, so it imports @berth/driver-local (the build) as a user's code would; on a
    // state directory of its own, as other tests use the README's.
    const file = fileURLToPath(new URL(`../.snippet-files-${unique()}.ts`, import.meta.url));
    const state = await tempDir('snippet-');
    writeFileSync(file, (snippet as string).replace("'/tmp/berth-example'", `'${state}'`));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file]);
      expect(stdout).toMatch(/^ConflictError\nhello\nno \/tmp note\n/);
      expect(stdout).toMatch(/name: 'greeting'[\s\S]*mode: 416/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 30_000);
});

describe('files: content', () => {
  it('round-trips 20 MB written as a stream and read back as a stream, in the work dir and /tmp', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver);
    const data = randomBytes(20 * 1024 * 1024);
    const hash = sha(data);
    // An odd chunk size: pieces straddle every buffer boundary on the way.
    async function* pieces() {
      for (let at = 0; at < data.length; at += 1_000_003) yield data.subarray(at, at + 1_000_003);
    }
    const inTmp = `/tmp/berth-big-${unique()}.bin`;
    for (const path of [`${work}/big.bin`, inTmp]) {
      await driver.writeFile(id, path, pieces());
      const back = createHash('sha256');
      let size = 0;
      for await (const chunk of await driver.readFileStream(id, path)) {
        back.update(chunk);
        size += chunk.byteLength;
      }
      expect(size, path).toBe(data.length);
      expect(back.digest('hex'), path).toBe(hash);
      // What the container itself reads there.
      expect((await inside(driver, id, `sha256sum ${path}`)).split(' ')[0], path).toBe(hash);
    }
    // The work directory is a host directory; /tmp is the sandbox's own tmpfs.
    expect(sha(readFileSync(join(work, 'big.bin')))).toBe(hash);
    expect(existsSync(inTmp)).toBe(false);
  }, 120_000);

  it('names the path asked about when it is missing', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver);
    const deep = `${work}/missing/deeper/file`;
    for (const call of [() => driver.readFile(id, deep), () => driver.listFiles(id, deep)]) {
      expect(await errorOf(call())).toMatchObject({ name: 'FileNotFoundError', path: deep });
    }
    expect(
      await errorOf(driver.makeDir(id, `${work}/missing/deeper`, { parents: false })),
    ).toMatchObject({ name: 'FileNotFoundError', path: `${work}/missing` });
    await driver.removeFile(id, deep, { force: true });
  });

  it('replaces a file whole: never written through a hard link the container made', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver, 'echo original > $HOME/a && ln $HOME/a $HOME/b');
    await driver.writeFile(id, `${work}/b`, 'replaced', { mode: 0o640 });
    expect(Buffer.from(await driver.readFile(id, `${work}/a`)).toString()).toBe('original\n');
    expect(Buffer.from(await driver.readFile(id, `${work}/b`)).toString()).toBe('replaced');
    expect((await driver.listFiles(id, `${work}/b`))[0]?.mode).toBe(0o640);
  });
});

describe('files: mode and ownership', () => {
  it("gives files the container's own uid by default, and the mode and owner asked for", async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver);
    const { uid, gid } = recordOf(driver.stateDir, id).user;
    expect(uid).toBe(containerUid(driver.stateDir, id));
    await driver.writeFile(id, `${work}/plain`, 'p');
    await driver.writeFile(id, `${work}/secret`, 's', { mode: 0o600, owner: '1234:4321' });
    await driver.makeDir(id, `${work}/d/e`, { mode: 0o750, owner: '1234:4321' });
    const listed = new Map((await driver.listFiles(id, work)).map((f) => [f.name, f]));
    expect(listed.get('plain')).toMatchObject({ type: 'file', mode: 0o644, uid, gid, size: 1 });
    expect(listed.get('secret')).toMatchObject({ mode: 0o600, uid: 1234, gid: 4321 });
    expect(listed.get('d')).toMatchObject({ type: 'directory', mode: 0o755, uid, gid });
    expect((await driver.listFiles(id, `${work}/d`))[0]).toMatchObject({
      name: 'e',
      mode: 0o750,
      uid: 1234,
      gid: 4321,
    });
    // As the container sees them, and as they are on the host.
    expect(await inside(driver, id, 'cd $HOME && stat -c "%a %u %g" plain secret d d/e')).toBe(
      `644 ${uid} ${gid}\n600 1234 4321\n755 ${uid} ${gid}\n750 1234 4321\n`,
    );
    expect(statSync(join(work, 'secret')).mode & 0o7777).toBe(0o600);
    // Its own file it may change; the one given away it may not.
    expect((await driver.exec(id, ['sh', '-c', 'echo more >> $HOME/plain'])).exitCode).toBe(0);
    expect((await driver.exec(id, ['sh', '-c', 'echo more >> $HOME/secret'])).exitCode).not.toBe(0);
  });

  it('keeps what an archive says: modes, owners, times and links, and downloads them back', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver);
    const at = new Date(1_600_000_000_000);
    await driver.upload(
      id,
      work,
      packTar([
        member('app', 'directory', { mode: 0o750, uid: 1000, gid: 1001 }),
        member('app/run.sh', 'file', { mode: 0o755, uid: 1000, gid: 1001 }, '#!/bin/sh\n'),
        member('app/conf', 'file', { mode: 0o600, uid: 0, gid: 0 }, 'k=v\n'),
        member('app/latest', 'symlink', { linkTarget: 'run.sh', uid: 1000, gid: 1001 }),
      ]),
    );
    const listed = new Map((await driver.listFiles(id, `${work}/app`)).map((f) => [f.name, f]));
    expect(listed.get('run.sh')).toMatchObject({ mode: 0o755, uid: 1000, gid: 1001, size: 10 });
    expect(listed.get('run.sh')?.modifiedAt.getTime()).toBe(at.getTime());
    expect(listed.get('conf')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(listed.get('latest')).toMatchObject({
      type: 'symlink',
      linkTarget: 'run.sh',
      uid: 1000,
    });
    const back = new Map<string, TarMember>();
    for await (const m of readTar(await driver.download(id, `${work}/app`))) {
      back.set(m.entry.path, m);
    }
    expect([...back.keys()]).toEqual(['app', 'app/conf', 'app/latest', 'app/run.sh']);
    expect(back.get('app')?.entry).toMatchObject({ mode: 0o750, uid: 1000, gid: 1001 });
    expect(back.get('app')?.entry.modifiedAt.getTime()).toBe(at.getTime());
    expect(back.get('app/conf')?.entry).toMatchObject({ mode: 0o600, uid: 0, gid: 0, size: 4 });
    expect(Buffer.from(back.get('app/conf')?.data ?? []).toString()).toBe('k=v\n');
    expect(back.get('app/latest')?.entry).toMatchObject({ type: 'symlink', linkTarget: 'run.sh' });
  });

  it("gives new files in a volume the volume's group, as the container's own files get it", async () => {
    const driver = await makeDriver();
    const { id } = await running(driver, 'echo own > /data/own', {
      volumes: [{ source: 'grouped', target: '/data' }],
    });
    const volumeGroup = statSync(join(driver.stateDir, 'volumes', 'grouped', 'data')).gid;
    await driver.writeFile(id, '/data/given', 'x');
    await driver.makeDir(id, '/data/dir');
    const listed = new Map((await driver.listFiles(id, '/data')).map((f) => [f.name, f]));
    const uid = containerUid(driver.stateDir, id);
    expect(listed.get('own')).toMatchObject({ uid, gid: volumeGroup });
    expect(listed.get('given')).toMatchObject({ uid, gid: volumeGroup });
    expect(listed.get('dir')).toMatchObject({ uid, gid: volumeGroup });
  });

  it('refuses set-ID files for anyone the container is not, keeping its own', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver);
    const { uid } = recordOf(driver.stateDir, id).user;
    await driver.writeFile(id, `${work}/mine`, '#!/bin/sh\n', { mode: 0o4755 });
    expect((await driver.listFiles(id, `${work}/mine`))[0]).toMatchObject({ mode: 0o4755, uid });
    for (const [name, mode, owner] of [
      ['root-suid', 0o4755, '0:0'],
      ['other-suid', 0o4755, '1234:1234'],
      ['root-sgid', 0o2755, `${uid}:0`],
    ] as const) {
      const error = await errorOf(driver.writeFile(id, `${work}/${name}`, 'x', { mode, owner }));
      expect(error, name).toBeInstanceOf(UnsafeFileError);
      expect((error as UnsafeFileError).reason).toBe('privilege');
      expect(existsSync(join(work, name)), name).toBe(false);
    }
    const archive = packTar([
      member('ok.txt', 'file', {}, 'fine'),
      member('sbin/su', 'file', { mode: 0o4755, uid: 0, gid: 0 }, 'x'),
    ]);
    const refused = await errorOf(driver.upload(id, work, archive));
    expect((refused as UnsafeFileError).reason).toBe('privilege');
    expect(existsSync(join(work, 'ok.txt')), 'nothing of the archive unpacked').toBe(false);
    // A directory's set-group-ID bit only passes its group on.
    await driver.makeDir(id, `${work}/shared`, { mode: 0o2775, owner: '1234:1234' });
    expect((await driver.listFiles(id, `${work}/shared`)).length).toBe(0);
    expect(statSync(join(work, 'shared')).mode & 0o7777).toBe(0o2775);
  });
});

describe('files: what a running container sees', () => {
  it('reads and writes its own /tmp and /etc, and not its read-only root', async () => {
    const driver = await makeDriver();
    const { id } = await running(driver, 'echo from-inside > /tmp/inner');
    expect(Buffer.from(await driver.readFile(id, '/tmp/inner')).toString()).toBe('from-inside\n');
    const outer = `/tmp/berth-outer-${unique()}`;
    await driver.writeFile(id, outer, 'from-outside');
    expect(await inside(driver, id, `cat ${outer}`)).toBe('from-outside');
    expect(existsSync(outer), 'the host /tmp is not the container one').toBe(false);
    const passwd = Buffer.from(await driver.readFile(id, '/etc/passwd')).toString();
    expect(passwd).toMatch(/^nobody:x:65534:65534:/m);
    expect(passwd).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    for (const path of ['/berth-x', '/etc/berth-x', '/usr/berth-x']) {
      const error = await errorOf(driver.writeFile(id, path, 'x'));
      expect(error, path).toBeInstanceOf(FileSystemError);
      expect(String(error), path).toMatch(/Read-only/);
      expect(existsSync(path), path).toBe(false);
    }
    const entries = (await driver.listFiles(id, '/')).map((f) => f.name);
    expect(entries).toEqual(expect.arrayContaining(['etc', 'proc', 'tmp', 'usr']));
    expect(entries, 'the host root is not what it sees').not.toContain('root');
  });

  it('never serves /proc, /dev or /sys, nor reads through the view’s own links', async () => {
    const driver = await makeDriver();
    const { id } = await running(driver);
    for (const call of [
      () => driver.readFile(id, '/proc/1/environ'),
      () => driver.readFile(id, '/dev/zero'),
      () => driver.writeFile(id, '/proc/sys/kernel/hostname', 'x'),
      () => driver.listFiles(id, '/sys'),
      () => driver.download(id, '/proc'),
    ]) {
      const error = await errorOf(call());
      expect(error).toBeInstanceOf(UnsafeFileError);
      expect((error as UnsafeFileError).reason).toBe('kernel');
    }
    const names: string[] = [];
    for await (const m of readTar(await driver.download(id, '/tmp'))) names.push(m.entry.path);
    expect(names[0]).toBe('tmp');
    const bin = (await driver.listFiles(id, '/')).find((f) => f.name === 'bin');
    if (bin?.type === 'symlink') {
      // On a merged-/usr host the view's /bin is a link, refused like any other.
      const error = await errorOf(driver.readFile(id, '/bin/sh'));
      expect((error as UnsafeFileError).reason).toBe('link');
    }
    expect((await driver.readFile(id, '/usr/bin/env')).byteLength).toBeGreaterThan(0);
  });

  it('writes into a root that is not read-only, which the host never sees', async () => {
    const driver = await makeDriver();
    const dir = `/berth-made-${unique()}`;
    const { id } = await running(driver, 'true', { security: { readOnly: false } });
    await driver.writeFile(id, `${dir}/x`, 'in its root');
    expect(await inside(driver, id, `cat ${dir}/x`)).toBe('in its root');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('files: a container that does not run', () => {
  it('takes files into its work dir and volumes before it starts, for its program to read', async () => {
    const driver = await makeDriver();
    const { id } = await driver.createContainer(
      shell('cat $HOME/config.txt /data/seed.txt', {
        volumes: [{ source: 'seeded', target: '/data' }],
      }),
    );
    await driver.writeFile(id, `${workDirOf(driver, id)}/config.txt`, 'config\n');
    await driver.writeFile(id, '/data/seed.txt', 'seed\n');
    await driver.startContainer(id);
    expect((await driver.waitContainer(id)).exitCode).toBe(0);
    expect(await driver.getContainerLogs(id)).toBe('config\nseed\n');
  });

  it('says its root and /tmp exist only while it runs, and keeps its work dir', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver);
    await driver.writeFile(id, '/tmp/while-running', 'gone with the run');
    await driver.writeFile(id, `${work}/kept`, 'kept');
    await driver.stopContainer(id, { timeout: 1 });
    for (const call of [
      () => driver.readFile(id, '/tmp/while-running'),
      () => driver.writeFile(id, '/tmp/x', 'x'),
      () => driver.listFiles(id, '/'),
      () => driver.readFile(id, '/etc/passwd'),
    ]) {
      const error = await errorOf(call());
      expect(error).toBeInstanceOf(ConflictError);
      expect(String(error)).toMatch(/only while it runs/);
      expect(String(error)).toContain(work);
    }
    expect(Buffer.from(await driver.readFile(id, `${work}/kept`)).toString()).toBe('kept');
    await driver.removeFile(id, `${work}/kept`);
    expect(await errorOf(driver.readFile(id, `${work}/kept`))).toBeInstanceOf(FileNotFoundError);
    const mount = await errorOf(driver.removeFile(id, work, { recursive: true }));
    expect(String(mount)).toMatch(/cannot be removed/);
  });

  it('refuses writes to a read-only mount, running or not', async () => {
    const driver = await makeDriver();
    await driver.createVolume({ name: 'ro', sessionId: 'test' });
    const { id } = await driver.createContainer(
      shell('exec sleep 600', { volumes: [{ source: 'ro', target: '/ro', readOnly: true }] }),
    );
    for (const state of ['created', 'running']) {
      if (state === 'running') await driver.startContainer(id);
      for (const call of [
        () => driver.writeFile(id, '/ro/x', 'x'),
        () => driver.makeDir(id, '/ro/d'),
        () => driver.upload(id, '/ro', packTar([member('y', 'file')])),
      ]) {
        const error = await errorOf(call());
        expect(error, state).toBeInstanceOf(FileSystemError);
        expect(String(error), state).toMatch(/Read-only/);
      }
      expect(await driver.listFiles(id, '/ro'), state).toEqual([]);
    }
  });

  it('never removes a mount point or what holds one, running or not', async () => {
    const driver = await makeDriver();
    const { id } = await running(driver, 'echo keep > /srv/vol/keep', {
      volumes: [{ source: 'kept', target: '/srv/vol' }],
    });
    for (const state of ['running', 'stopped']) {
      if (state === 'stopped') await driver.stopContainer(id, { timeout: 1 });
      const paths = state === 'running' ? ['/srv', '/srv/vol', '/tmp'] : ['/srv/vol'];
      for (const path of paths) {
        const error = await errorOf(driver.removeFile(id, path, { recursive: true }));
        expect(error, `${state} ${path}`).toBeInstanceOf(FileSystemError);
        expect(String(error), `${state} ${path}`).toMatch(/file systems is mounted/);
      }
      expect(Buffer.from(await driver.readFile(id, '/srv/vol/keep')).toString()).toBe('keep\n');
    }
  });

  it('reads what is not a regular file as an error, not as bytes', async () => {
    const driver = await makeDriver();
    const { id, work } = await running(driver, 'mkfifo $HOME/fifo && mkdir $HOME/dir');
    for (const path of [`${work}/fifo`, `${work}/dir`, work]) {
      expect(await errorOf(driver.readFile(id, path)), path).toBeInstanceOf(ConfigurationError);
    }
    // A download leaves the FIFO out rather than wait on it.
    const names: string[] = [];
    for await (const m of readTar(await driver.download(id, work))) names.push(m.entry.path);
    expect(names).toEqual(['work', 'work/dir']);
  });
});
