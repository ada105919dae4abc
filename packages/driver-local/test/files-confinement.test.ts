import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packTar, readTar, type TarMember } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { type LocalDriver, UnsafeFileError } from '../src/index.js';
import { errorOf, running } from './files-support.js';
import { makeDriver, tempDir } from './helpers.js';

/*
 * A container's work directory and volumes are host directories, and it can put links in them:
 * every file operation must stay inside what the container itself sees, whatever the links say.
 * Each attack names, through a link the container made, a marker on the host outside every
 * container; the marker must be neither read (its atime, set long ago, would move: relatime
 * updates an atime older than a day on any read), nor changed, nor joined by anything new.
 */

interface HostMarker {
  dir: string;
  secret: string;
  content: string;
  /** Fails the test if anything read, changed or added to the marker, or made files in /etc. */
  check(): void;
}

const CRON = '/etc/cron.d';
const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

async function hostMarker(): Promise<HostMarker> {
  const dir = await tempDir('host-marker-');
  chmodSync(dir, 0o755);
  const secret = join(dir, 'secret.txt');
  const content = `host-secret-${randomBytes(8).toString('hex')}`;
  await writeFile(secret, content, { mode: 0o644 });
  const long = new Date('2001-01-01T00:00:00Z');
  const { mtime } = statSync(secret);
  utimesSync(secret, long, mtime);
  readFileSync(secret);
  // Where the file system does not record reads at all, only content and listings are checked.
  const readsShow = statSync(secret).atimeMs !== long.getTime();
  utimesSync(secret, long, mtime);
  const cron = listing(CRON);
  return {
    dir,
    secret,
    content,
    check() {
      const info = statSync(secret);
      if (readsShow) expect(info.atimeMs, 'the host marker was read').toBe(long.getTime());
      expect(info.mtimeMs, 'the host marker was changed').toBe(mtime.getTime());
      expect(readdirSync(dir), 'something was made next to the host marker').toEqual([
        'secret.txt',
      ]);
      expect(readFileSync(secret, 'utf8')).toBe(content);
      utimesSync(secret, long, mtime);
      expect(listing(CRON), `something was made in the host's ${CRON}`).toEqual(cron);
      expect(existsSync('/berth-evil'), 'something was made in the host root').toBe(false);
    },
  };
}

function file(path: string, data = 'x', extra: Partial<TarMember['entry']> = {}): TarMember {
  const bytes = new TextEncoder().encode(data);
  const entry = { path, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: bytes.length };
  return { entry: { ...entry, modifiedAt: new Date(), ...extra }, data: bytes };
}

function link(path: string, target: string): TarMember {
  return {
    ...file(path, ''),
    entry: { ...file(path, '').entry, type: 'symlink', linkTarget: target },
  };
}

/**
 * Runs every attack, collecting the ones that were done rather than stopping at the first, so a
 * failure lists each hole (and a failing-first run shows what each test guards).
 */
async function refusedAll(
  attacks: readonly (readonly [string, () => Promise<unknown>])[],
  marker: HostMarker,
  check: (what: string, error: unknown) => string | undefined = () => undefined,
): Promise<void> {
  const done: string[] = [];
  for (const [what, call] of attacks) {
    const error = await errorOf(call());
    if (!(error instanceof Error)) done.push(`${what}: done`);
    else if (String(error).includes(marker.content)) done.push(`${what}: the error shows the host`);
    else {
      const wrong = check(what, error);
      if (wrong) done.push(`${what}: ${wrong}`);
    }
  }
  expect(done, 'attacks that were not refused').toEqual([]);
}

/** The links a hostile container makes in `dir`: to `/`, to /etc, to the host marker. */
const linksIn = (dir: string, marker: HostMarker) =>
  [
    `ln -s / ${dir}/to-root`,
    `ln -s /etc ${dir}/to-etc`,
    `ln -s ${marker.secret} ${dir}/to-secret`,
    `ln -s ${marker.dir} ${dir}/to-markerdir`,
    `mkdir ${dir}/tree`,
    `ln -s ${marker.dir} ${dir}/tree/link`,
    `ln -s ${marker.secret} ${dir}/tree/secret-link`,
  ].join(' && ');

async function attack(driver: LocalDriver, id: string, base: string, marker: HostMarker) {
  const viaRoot = `${base}/to-root${marker.dir}`;
  await refusedAll(
    [
      ['read through a link to /', () => driver.readFile(id, `${base}/to-root${marker.secret}`)],
      ['read a link to a host file', () => driver.readFile(id, `${base}/to-secret`)],
      ['stream a link to a host file', () => driver.readFileStream(id, `${base}/to-secret`)],
      [
        'read through a link to a host dir',
        () => driver.readFile(id, `${base}/to-markerdir/secret.txt`),
      ],
      ['read the shadow file through /', () => driver.readFile(id, `${base}/to-root/etc/shadow`)],
      ['list through a link to /', () => driver.listFiles(id, viaRoot)],
      ['download through a link to /', () => driver.download(id, viaRoot)],
      ['write through a link to /', () => driver.writeFile(id, `${viaRoot}/evil`, 'x')],
      [
        'write through a link to a dir',
        () => driver.writeFile(id, `${base}/to-markerdir/evil`, 'x'),
      ],
      ['write into cron.d', () => driver.writeFile(id, `${base}/to-etc/cron.d/berth-evil`, 'x')],
      ['write into the root', () => driver.writeFile(id, `${base}/to-root/berth-evil`, 'x')],
      ['make a dir through a link', () => driver.makeDir(id, `${base}/to-markerdir/newdir`)],
      ['make a dir through /', () => driver.makeDir(id, `${viaRoot}/newdir`)],
      [
        'upload into a link',
        () => driver.upload(id, `${base}/to-markerdir`, packTar([file('evil')])),
      ],
      ['upload past a link', () => driver.upload(id, base, packTar([file('to-markerdir/evil')]))],
      ['remove through a link', () => driver.removeFile(id, `${base}/to-markerdir/secret.txt`)],
      [
        'force-remove through /',
        () => driver.removeFile(id, `${base}/to-root${marker.secret}`, { force: true }),
      ],
    ] as const satisfies readonly (readonly [string, () => Promise<unknown>])[],
    marker,
  );
  marker.check();
  // What a link is asked for as itself: described, never followed.
  expect(await driver.listFiles(id, `${base}/to-markerdir`)).toMatchObject([
    { type: 'symlink', linkTarget: marker.dir },
  ]);
  const members: TarMember[] = [];
  for await (const m of readTar(await driver.download(id, `${base}/tree`))) members.push(m);
  expect(members.map((m) => [m.entry.path, m.entry.type])).toEqual([
    ['tree', 'directory'],
    ['tree/link', 'symlink'],
    ['tree/secret-link', 'symlink'],
  ]);
  // Removing a tree that holds links removes the links; writing over a link replaces it.
  await driver.removeFile(id, `${base}/tree`, { recursive: true });
  await driver.writeFile(id, `${base}/to-secret`, 'replaced');
  expect((await driver.listFiles(id, `${base}/to-secret`))[0]?.type).toBe('file');
  await driver.removeFile(id, `${base}/to-markerdir`);
  marker.check();
}

describe('files: links a container made never lead to the host', () => {
  it.each([
    ['its work dir', 'running'],
    ['its work dir', 'stopped'],
    ['a volume', 'running'],
    ['a volume', 'stopped'],
  ] as const)('in %s, %s', async (where, state) => {
    const marker = await hostMarker();
    const driver = await makeDriver();
    const base = where === 'a volume' ? '/data' : '$HOME';
    const { id, work } = await running(driver, linksIn(base, marker), {
      volumes: [{ source: 'hostile', target: '/data' }],
    });
    if (state === 'stopped') await driver.stopContainer(id, { timeout: 1 });
    await attack(driver, id, where === 'a volume' ? '/data' : work, marker);
  });

  it('in its own /tmp', async () => {
    const marker = await hostMarker();
    const driver = await makeDriver();
    const { id } = await running(driver, linksIn('/tmp', marker));
    await attack(driver, id, '/tmp', marker);
  });

  it('while the container swaps a directory for a link to / as fast as it can', async () => {
    const marker = await hostMarker();
    const driver = await makeDriver();
    const swap = 'while :; do rm -f $HOME/s; mkdir $HOME/s; rm -rf $HOME/s; ln -s / $HOME/s; done';
    const { id, work } = await running(driver, `( ${swap} ) >/dev/null 2>&1 & true`);
    let written = 0;
    let links = 0;
    // At least 300 rounds, and on until both sides of the race were met, for 20 s at most.
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < 300 || written === 0 || links === 0; i++) {
      if (i >= 300 && Date.now() > deadline) {
        throw new Error(
          `the race was not met both ways in ${i} rounds: ${written} writes into the directory, ${links} refused at the link`,
        );
      }
      await driver
        .writeFile(id, `${work}/s${marker.dir}/evil-${i}`, 'x')
        .then(() => written++)
        .catch((error: unknown) => {
          if (UnsafeFileError.isInstance(error) && error.reason === 'link') links++;
        });
      const read = await driver.readFile(id, `${work}/s${marker.secret}`).catch(() => undefined);
      expect(read && Buffer.from(read).toString()).not.toBe(marker.content);
    }
    marker.check();
    // Writes met the directory (and landed in it, inside the container) and met the link: the
    // race was run both ways.
    expect(written, 'writes into the directory').toBeGreaterThan(0);
    expect(links, 'writes refused at the link').toBeGreaterThan(0);
  });
});

describe('files: archives that climb out', () => {
  const archives = (marker: HostMarker, abs: string): [string, TarMember[]][] => [
    ['../', [file('ok.txt'), file('../escaped.txt')]],
    ['./../', [file('ok.txt'), file('./../escaped.txt')]],
    ['a/../../', [file('ok.txt'), file('a/../../escaped.txt')]],
    ['an absolute name', [file('ok.txt'), file(abs)]],
    ['a link of its own to a host dir', [file('ok.txt'), link('x', marker.dir), file('x/evil')]],
    ['a link of its own to /', [file('ok.txt'), link('x', '/'), file('x/etc/cron.d/berth-evil')]],
  ];

  it.each(['running', 'stopped'] as const)(
    'are refused with nothing unpacked (%s)',
    async (state) => {
      const marker = await hostMarker();
      const driver = await makeDriver();
      const { id, work } = await running(driver);
      if (state === 'stopped') await driver.stopContainer(id, { timeout: 1 });
      const abs = `/berth-abs-${randomBytes(4).toString('hex')}.txt`;
      await driver.makeDir(id, `${work}/target`);
      const unpacked = () =>
        [
          ...readdirSync(join(work, 'target')),
          ...[join(work, 'escaped.txt'), join(work, '..', 'escaped.txt'), abs].filter((p) =>
            existsSync(p),
          ),
        ].join(', ');
      await refusedAll(
        archives(marker, abs).map(
          ([what, members]) =>
            [what, () => driver.upload(id, `${work}/target`, packTar(members))] as const,
        ),
        marker,
        (_what, error) => {
          const found = unpacked();
          if (found) return `refused, but unpacked ${found}`;
          if ((error as UnsafeFileError).reason !== 'archive') return `refused as ${String(error)}`;
          return undefined;
        },
      );
      marker.check();
    },
  );
});
