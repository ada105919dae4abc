import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, FileSystemError, packTar, readTar, type TarMember } from '@berth/core';
import { expect, it } from 'vitest';
import { describeEngine, shell, suiteTempDir, useSession } from '../support/engine.js';

/*
 * What a hostile container (or archive) can try with links: make a read or a write land on the
 * host, or elsewhere in the container than the caller named. The engine resolves every path in
 * the container's root; the driver also refuses to go through a link at all.
 */

const probe = `berth-probe-${process.pid}-${Date.now()}`;
// A host directory with a secret, at a path a link in the container can name.
const hostDir = suiteTempDir('berth-files-host-', (dir) => {
  writeFileSync(join(dir, 'secret'), 'host secret');
});

function link(path: string, target: string): TarMember {
  return {
    entry: {
      path,
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      modifiedAt: new Date(),
      linkTarget: target,
    },
    data: new Uint8Array(0),
  };
}

function file(path: string, data: string, extra: Partial<TarMember['entry']> = {}): TarMember {
  const bytes = new TextEncoder().encode(data);
  return {
    entry: {
      path,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: bytes.byteLength,
      modifiedAt: new Date(),
      ...extra,
    },
    data: bytes,
  };
}

/** A one-member archive holding a hard link, which packTar does not write. */
async function* hardLink(path: string, target: string): AsyncGenerator<Uint8Array> {
  let first = true;
  for await (const block of packTar([link(path, target)])) {
    if (first) {
      first = false;
      const header = Uint8Array.from(block);
      header[156] = '1'.charCodeAt(0);
      header.fill(32, 148, 156);
      const sum = header.reduce((a, b) => a + b, 0);
      header.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
      yield header;
    } else yield block;
  }
}

/** Nothing named `probe` at the host's root, in the host directory, or at the container's. */
async function nothingLeaked(
  driver: { listFiles(id: string, p: string): Promise<{ name: string }[]> },
  id: string,
) {
  expect(existsSync(`/${probe}`), 'on the host root').toBe(false);
  expect(readdirSync(hostDir), 'in the host directory').toEqual(['secret']);
  expect(readFileSync(join(hostDir, 'secret'), 'utf8')).toBe('host secret');
  const names = (await driver.listFiles(id, '/')).map((f) => f.name);
  expect(names, "at the container's root").not.toContain(probe);
  expect((await driver.listFiles(id, '/etc')).map((f) => f.name)).not.toContain(probe);
}

describeEngine('files and links on a real engine', () => {
  const { driver, session } = useSession('files-links');

  async function box() {
    const { id } = await driver.createContainer(
      shell(session, 'sleep 600', { security: { readOnly: false } }),
    );
    await driver.startContainer(id);
    await driver.upload(
      id,
      '/tmp/trap',
      packTar([
        link('root', '/'),
        link('host', hostDir),
        link('passwd', '/etc/passwd'),
        link('etc', '/etc'),
      ]),
    );
    return id;
  }

  it('never writes through a link, to / or to a host path', async () => {
    const id = await box();
    for (const path of [
      `/tmp/trap/root/${probe}`,
      `/tmp/trap/root/etc/${probe}`,
      `/tmp/trap/host/${probe}`,
      `/tmp/trap/host/secret`,
      `/tmp/trap/etc/${probe}`,
    ]) {
      const error = await driver.writeFile(id, path, 'x').catch((e: unknown) => e);
      expect(error, `writeFile ${path}`).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/link/);
    }
    for (const dir of ['/tmp/trap/root', '/tmp/trap/etc', '/tmp/trap/host', '/tmp/trap/etc/ssl']) {
      const up = await driver.upload(id, dir, packTar([file(probe, 'x')])).catch((e: unknown) => e);
      expect(up, `upload into ${dir}`).toBeInstanceOf(ConfigurationError);
      const made = await driver.makeDir(id, `${dir}/${probe}`).catch((e: unknown) => e);
      expect(made, `makeDir under ${dir}`).toBeInstanceOf(ConfigurationError);
    }
    await nothingLeaked(driver, id);
  });

  it('never reads through a link: the link itself is what there is', async () => {
    const id = await box();
    for (const path of ['/tmp/trap/passwd', '/tmp/trap/host', '/tmp/trap/root']) {
      const error = await driver.readFile(id, path).catch((e: unknown) => e);
      expect(error, `readFile ${path}`).toBeInstanceOf(ConfigurationError);
    }
    for (const path of [
      '/tmp/trap/host/secret',
      '/tmp/trap/etc/passwd',
      '/tmp/trap/root/etc/passwd',
    ]) {
      const error = await driver.readFile(id, path).catch((e: unknown) => e);
      expect(error, `readFile ${path}`).toBeInstanceOf(ConfigurationError);
      const listed = await driver.listFiles(id, path).catch((e: unknown) => e);
      expect(listed, `listFiles ${path}`).toBeInstanceOf(ConfigurationError);
    }
    const members: TarMember[] = [];
    for await (const m of readTar(await driver.download(id, '/tmp/trap/host'))) members.push(m);
    expect(members.map((m) => [m.entry.path, m.entry.type, m.entry.linkTarget])).toEqual([
      ['host', 'symlink', hostDir],
    ]);
    const listed = await driver.listFiles(id, '/tmp/trap');
    expect(listed.map((f) => [f.name, f.linkTarget]).sort()).toEqual([
      ['etc', '/etc'],
      ['host', hostDir],
      ['passwd', '/etc/passwd'],
      ['root', '/'],
    ]);
  });

  it('removes a link, never what it points at, and never removes through one', async () => {
    const id = await box();
    const through = await driver
      .removeFile(id, '/tmp/trap/etc/passwd', { force: true })
      .catch((e: unknown) => e);
    expect(through).toBeInstanceOf(ConfigurationError);
    await driver.removeFile(id, '/tmp/trap/etc', { recursive: true });
    await driver.removeFile(id, '/tmp/trap/root', { recursive: true });
    const left = await driver.exec(id, [
      'sh',
      '-c',
      'ls /tmp/trap; cat /etc/passwd | wc -l; ls /bin | wc -l',
    ]);
    expect(left.stdout.split('\n')[0]).toBe('host');
    expect(Number(left.stdout.split('\n').at(-3))).toBeGreaterThan(0);
    expect(Number(left.stdout.split('\n').at(-2))).toBeGreaterThan(10);
  });

  it('refuses archive members that climb out, are absolute, or go through a link', async () => {
    const id = await box();
    const cases: [string, TarMember[]][] = [
      ['a member named ../', [file(`../${probe}`, 'x')]],
      ['an absolute member', [file(`/${probe}`, 'x')]],
      ['a deep climb', [file(`a/../../${probe}`, 'x')]],
      ['a member through a link of the archive', [link('l', '/'), file(`l/${probe}`, 'x')]],
      [
        'a member through a link of the archive to the host',
        [link('h', hostDir), file(`h/${probe}`, 'x')],
      ],
      ['a member through a link already there', [file(`root/${probe}`, 'x')]],
      ['a member through a deeper link already there', [file(`root/etc/${probe}`, 'x')]],
      // The engine's own check: a relative link may not point above where it is unpacked.
      ['a relative link that climbs out', [link('up', '../../..')]],
    ];
    for (const [what, members] of cases) {
      const error = await driver.upload(id, '/tmp/trap', packTar(members)).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(FileSystemError);
    }
    for (const target of ['/etc/passwd', '../../etc/passwd', 'passwd', 'root/etc/passwd']) {
      const error = await driver
        .upload(id, '/tmp/trap', hardLink(probe, target))
        .catch((e: unknown) => e);
      expect(error, `a hard link to ${target}, not a file of the archive`).toBeInstanceOf(
        FileSystemError,
      );
    }
    await nothingLeaked(driver, id);
    expect((await driver.listFiles(id, '/tmp')).map((f) => f.name)).not.toContain(probe);
  });
});
