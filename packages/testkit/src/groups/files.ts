import {
  ConfigurationError,
  FileNotFoundError,
  FileSystemError,
  packTar,
  ResourceLimitError,
  readTar,
  type TarMember,
} from '@berth/core';
import { expect } from 'vitest';
import { shown } from '../assertions.js';
import type { GroupDefinition } from '../conformance.js';
import type { SuiteContext } from '../support.js';

/** A started container and a fresh directory in it that the container may write. */
async function withDir(
  ctx: SuiteContext,
  body: (id: string, dir: string) => Promise<void>,
  start = true,
) {
  const files = ctx.options.files ?? {};
  const { id } = await ctx.driver.createContainer(
    ctx.config({ command: ctx.longRunning(), ...files.config }),
  );
  try {
    if (start) await ctx.driver.startContainer(id);
    const dir = `${files.dir ?? '/tmp'}/berth-files-${Math.random().toString(36).slice(2, 8)}`;
    await ctx.driver.makeDir(id, dir);
    await body(id, dir);
  } finally {
    await ctx.driver.removeContainer(id, { force: true });
  }
}

async function all(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const member = (
  path: string,
  type: TarMember['entry']['type'],
  data = '',
  extra = {},
): TarMember => ({
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
});

export const filesGroup: GroupDefinition = {
  name: 'files',
  needs: (caps) => (caps.files ? undefined : 'the driver reports files: false'),
  define(test) {
    test('writes and reads back bytes and text, and streams a file', async (ctx) => {
      await withDir(ctx, async (id, dir) => {
        const bytes = new Uint8Array(256 * 8).map((_, i) => i % 256);
        await ctx.driver.writeFile(id, `${dir}/all-bytes.bin`, bytes);
        expect(
          Buffer.from(await ctx.driver.readFile(id, `${dir}/all-bytes.bin`)).equals(
            Buffer.from(bytes),
          ),
          'every byte value survives',
        ).toBe(true);
        await ctx.driver.writeFile(id, `${dir}/note.txt`, 'héllo wörld\n');
        expect(Buffer.from(await ctx.driver.readFile(id, `${dir}/note.txt`)).toString()).toBe(
          'héllo wörld\n',
        );
        const big = Buffer.alloc(2 * 1024 * 1024, 7);
        async function* pieces() {
          for (let at = 0; at < big.length; at += 256 * 1024)
            yield big.subarray(at, at + 256 * 1024);
        }
        await ctx.driver.writeFile(id, `${dir}/big.bin`, pieces());
        const streamed = await all(await ctx.driver.readFileStream(id, `${dir}/big.bin`));
        expect(streamed.equals(big), '2 MiB written as a stream and read as one').toBe(true);
        const limited = await ctx.driver
          .readFile(id, `${dir}/big.bin`, { maxBytes: 1024 })
          .catch((e: unknown) => e);
        expect(limited, `beyond maxBytes: ${shown(limited)}`).toBeInstanceOf(ResourceLimitError);
      });
    });

    test('sets and keeps mode and owner; the default owner is the container user', async (ctx) => {
      await withDir(ctx, async (id, dir) => {
        await ctx.driver.writeFile(id, `${dir}/secret`, 'x', { mode: 0o600, owner: '1234:4321' });
        await ctx.driver.writeFile(id, `${dir}/plain`, 'y');
        const listed = await ctx.driver.listFiles(id, dir);
        const secret = listed.find((f) => f.name === 'secret');
        expect(secret, shown(listed)).toMatchObject({
          type: 'file',
          mode: 0o600,
          uid: 1234,
          gid: 4321,
          size: 1,
        });
        const plain = listed.find((f) => f.name === 'plain');
        // The user the container runs as, asked of the container where it can say (a driver
        // may map the configured user to one of the container's own), else from the config.
        const asked = await ctx.driver.exec(id, ['id', '-u']).catch(() => undefined);
        const configured = String(ctx.config().security?.user ?? '65534:65534');
        const uid =
          asked?.exitCode === 0 && /^\d+$/.test(asked.stdout.trim())
            ? Number(asked.stdout.trim())
            : Number(configured.split(':')[0]);
        expect(plain?.uid, `owned by the container's user (uid ${uid}): ${shown(plain)}`).toBe(uid);
        expect(plain?.mode).toBe(0o644);
      });
    });

    test('makes directories, lists them, and removes what it is asked to', async (ctx) => {
      await withDir(ctx, async (id, dir) => {
        await ctx.driver.makeDir(id, `${dir}/a/b/c`);
        await ctx.driver.writeFile(id, `${dir}/a/b/c/file`, 'z');
        const listed = await ctx.driver.listFiles(id, `${dir}/a`);
        expect(
          listed.map((f) => [f.name, f.type]),
          'only direct entries',
        ).toEqual([['b', 'directory']]);
        expect((await ctx.driver.listFiles(id, `${dir}/a/b/c/file`)).map((f) => f.path)).toEqual([
          `${dir}/a/b/c/file`,
        ]);
        const notEmpty = await ctx.driver.removeFile(id, `${dir}/a`).catch((e: unknown) => e);
        expect(
          notEmpty,
          `a directory with entries needs recursive: ${shown(notEmpty)}`,
        ).toBeInstanceOf(FileSystemError);
        await ctx.driver.removeFile(id, `${dir}/a`, { recursive: true });
        const gone = await ctx.driver.readFile(id, `${dir}/a/b/c/file`).catch((e: unknown) => e);
        expect(gone, `removed: ${shown(gone)}`).toBeInstanceOf(FileNotFoundError);
        await ctx.driver.removeFile(id, `${dir}/never`, { force: true });
        await expect(ctx.driver.removeFile(id, `${dir}/never`)).rejects.toBeInstanceOf(
          FileNotFoundError,
        );
      });
    });

    test('uploads and downloads directories as tar streams', async (ctx) => {
      await withDir(ctx, async (id, dir) => {
        const members = [
          member('site', 'directory'),
          member('site/index.html', 'file', '<h1>hi</h1>'),
          member('site/assets', 'directory'),
          member('site/assets/app.js', 'file', 'console.log(1)'),
          member('site/latest', 'symlink', '', { linkTarget: 'index.html' }),
        ];
        await ctx.driver.upload(id, dir, packTar(members));
        expect(
          Buffer.from(await ctx.driver.readFile(id, `${dir}/site/assets/app.js`)).toString(),
        ).toBe('console.log(1)');
        const back = new Map<string, TarMember>();
        for await (const m of readTar(await ctx.driver.download(id, `${dir}/site`)))
          back.set(m.entry.path, m);
        expect([...back.keys()].sort(), 'every member, under the directory name').toEqual([
          'site',
          'site/assets',
          'site/assets/app.js',
          'site/index.html',
          'site/latest',
        ]);
        expect(Buffer.from(back.get('site/index.html')?.data ?? []).toString()).toBe('<h1>hi</h1>');
        expect(back.get('site/latest')?.entry).toMatchObject({
          type: 'symlink',
          linkTarget: 'index.html',
        });
        expect(back.get('site/index.html')?.entry).toMatchObject({
          uid: 1000,
          gid: 1000,
          mode: 0o644,
        });
      });
    });

    test('refuses paths that climb or are not absolute, and archives that climb out', async (ctx) => {
      await withDir(ctx, async (id, dir) => {
        for (const bad of ['relative/path', `${dir}/../escape`, `${dir}/a\0b`, '', `${dir}//x`]) {
          const error = await ctx.driver.writeFile(id, bad, 'x').catch((e: unknown) => e);
          expect(error, `writeFile(${shown(bad)}): ${shown(error)}`).toBeInstanceOf(
            ConfigurationError,
          );
        }
        const evil = packTar([
          member('../escaped.txt', 'file', 'out'),
          member('ok.txt', 'file', 'in'),
        ]);
        const refused = await ctx.driver.upload(id, dir, evil).catch((e: unknown) => e);
        expect(refused, `a member named ../escaped.txt: ${shown(refused)}`).toBeInstanceOf(Error);
        const parent = dir.slice(0, dir.lastIndexOf('/'));
        const names = (await ctx.driver.listFiles(id, parent)).map((f) => f.name);
        expect(names, 'nothing was unpacked above the directory').not.toContain('escaped.txt');
      });
    });

    test('never follows a link in the container to read or write elsewhere', async (ctx) => {
      await withDir(ctx, async (id, dir) => {
        await ctx.driver.upload(
          id,
          dir,
          packTar([
            member('passwd-link', 'symlink', '', { linkTarget: '/etc/passwd' }),
            member('etc-link', 'symlink', '', { linkTarget: '/etc' }),
          ]),
        );
        const read = await ctx.driver.readFile(id, `${dir}/passwd-link`).catch((e: unknown) => e);
        expect(
          read,
          `readFile of a symlink is refused, not followed: ${shown(read)}`,
        ).toBeInstanceOf(Error);
        const listed = await ctx.driver.listFiles(id, `${dir}/passwd-link`);
        expect(listed[0], 'the link itself is listed').toMatchObject({
          type: 'symlink',
          linkTarget: '/etc/passwd',
        });
        const write = await ctx.driver
          .writeFile(id, `${dir}/etc-link/berth-was-here`, 'x')
          .catch((e: unknown) => e);
        expect(
          write,
          `a write through a linked directory is refused: ${shown(write)}`,
        ).toBeInstanceOf(Error);
      });
    });

    test('works on a stopped container', async (ctx, skip) => {
      if (ctx.options.files?.whenStopped === false) {
        return skip('the driver says files need a running container (files.whenStopped: false)');
      }
      await withDir(
        ctx,
        async (id, dir) => {
          await ctx.driver.writeFile(id, `${dir}/before-start`, 'kept');
          expect(Buffer.from(await ctx.driver.readFile(id, `${dir}/before-start`)).toString()).toBe(
            'kept',
          );
        },
        false,
      );
    });
  },
};
