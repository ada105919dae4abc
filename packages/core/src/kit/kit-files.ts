import { ConfigurationError, FileNotFoundError, ResourceLimitError } from '../errors/index.js';
import {
  baseName,
  parentOf,
  parseContainerPath,
  parseMode,
  parseOwner,
} from '../files/file-paths.js';
import type {
  FileData,
  FileInfo,
  MakeDirOptions,
  ReadFileOptions,
  RemoveFileOptions,
  WriteFileOptions,
} from '../files/file-types.js';
import { packTar, readTar, type TarMember } from '../files/tar.js';
import type { OperationOptions } from '../types.js';
import { KitFeatures } from './kit-features.js';
import type { PrimitiveContext } from './primitives.js';

const DEFAULT_MAX_READ = 64 * 1024 * 1024;

async function* nothing(): AsyncGenerator<Uint8Array> {}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

function plainOptions(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`${what} must be an object`);
  }
  return options as Record<string, unknown>;
}

/** The caller's data as a stream of byte chunks, whatever form it came in. */
async function* chunksOf(data: FileData): AsyncGenerator<Uint8Array> {
  if (typeof data === 'string') yield new TextEncoder().encode(data);
  else if (data instanceof Uint8Array) yield data;
  else if (
    data &&
    typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
  ) {
    for await (const chunk of data as AsyncIterable<unknown>) {
      if (typeof chunk === 'string') yield new TextEncoder().encode(chunk);
      else if (chunk instanceof Uint8Array) yield chunk;
      else throw new ConfigurationError('writeFile: a data stream must yield Uint8Array chunks');
    }
  } else {
    throw new ConfigurationError(
      'writeFile: data must be a string, a Uint8Array or an async iterable of them',
    );
  }
}

async function collect(
  stream: AsyncIterable<Uint8Array>,
  max: number,
  path: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.byteLength;
    if (length > max) {
      throw new ResourceLimitError(`readFile bytes of ${path} (use readFileStream)`, max, length);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Files: paths checked, options parsed, and what a driver lacks derived from its tar streams. */
export abstract class KitFiles extends KitFeatures {
  #files<T>(
    operation: string,
    options: unknown,
    id: unknown,
    path: unknown,
    run: (target: string, path: string, ctx: PrimitiveContext) => Promise<T>,
    read = false,
  ): Promise<T> {
    return this.kitFeature(
      'files',
      options,
      'files',
      id,
      (target, ctx) => run(target, parseContainerPath(path, `${operation}: path`), ctx),
      read,
    );
  }

  /** The entry at `path`, through `stat` where the driver has it, else a download of it. */
  async #stat(target: string, path: string, ctx: PrimitiveContext): Promise<FileInfo | null> {
    if (this.primitives.stat) return this.primitives.stat(target, path, ctx);
    try {
      const archive = (await this.primitives.download?.(target, path, ctx)) ?? nothing();
      for await (const { entry } of readTar(archive)) {
        const { type, size, mode, uid, gid, modifiedAt } = entry;
        return { name: baseName(path), path, type, size, mode, uid, gid, modifiedAt };
      }
      return null;
    } catch (error) {
      if (FileNotFoundError.isInstance(error)) return null;
      throw error;
    }
  }

  /**
   * Makes directory `path` and its missing parents (one tar of only the missing ones, into the
   * deepest that exists, so existing directories keep their modes and owners).
   */
  async #ensureDir(
    target: string,
    path: string,
    ctx: PrimitiveContext,
    made: { mode: number; owner?: { uid: number; gid: number } } = { mode: 0o755 },
    parents = true,
  ): Promise<void> {
    const missing: string[] = [];
    let at = path;
    for (;;) {
      const found = await this.#stat(target, at, ctx);
      if (found) {
        if (found.type !== 'directory') {
          throw new ConfigurationError(`${at} is a ${found.type}, not a directory`);
        }
        break;
      }
      missing.unshift(at);
      if (at === '/') throw new FileNotFoundError(target, '/');
      at = parentOf(at);
    }
    if (missing.length === 0) return;
    if (!parents && missing.length > 1) throw new FileNotFoundError(target, parentOf(path));
    const base = at;
    const members: TarMember[] = missing.map((dir) => ({
      entry: {
        path: dir.slice(base === '/' ? 1 : base.length + 1),
        type: 'directory',
        mode: dir === path ? made.mode : 0o755,
        uid: made.owner?.uid ?? 0,
        gid: made.owner?.gid ?? 0,
        size: 0,
        modifiedAt: new Date(),
      },
      data: new Uint8Array(0),
    }));
    const ownership = made.owner ? 'archive' : 'container';
    await this.primitives.upload?.(target, base, packTar(members), ownership, ctx);
  }

  writeFile(id: string, path: string, data: FileData, options?: WriteFileOptions): Promise<void> {
    const given = plainOptions(options, 'writeFile options');
    return this.#files('writeFile', options, id, path, async (target, p, ctx) => {
      if (p === '/') throw new ConfigurationError('writeFile: path must name a file, not /');
      const mode = parseMode(given.mode, 0o644, 'writeFile: mode');
      const owner = parseOwner(given.owner, 'writeFile: owner');
      if (this.primitives.writeFile) {
        return this.primitives.writeFile(
          target,
          p,
          chunksOf(data),
          { mode, ...(owner ? { owner } : {}) },
          ctx,
        );
      }
      // As a one-entry tar into its directory: the engine's own archive call writes it.
      await this.#ensureDir(target, parentOf(p), ctx);
      const bytes = await collect(chunksOf(data), Number.MAX_SAFE_INTEGER, p);
      const member: TarMember = {
        entry: {
          path: baseName(p),
          type: 'file',
          mode,
          uid: owner?.uid ?? 0,
          gid: owner?.gid ?? 0,
          size: bytes.byteLength,
          modifiedAt: new Date(),
        },
        data: bytes,
      };
      await this.primitives.upload?.(
        target,
        parentOf(p),
        packTar([member]),
        owner ? 'archive' : 'container',
        ctx,
      );
    });
  }

  readFile(id: string, path: string, options?: ReadFileOptions): Promise<Uint8Array> {
    const given = plainOptions(options, 'readFile options');
    const max = given.maxBytes ?? DEFAULT_MAX_READ;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) {
      throw new ConfigurationError(`readFile: maxBytes must be an integer ≥ 0, got ${String(max)}`);
    }
    return this.#files(
      'readFile',
      options,
      id,
      path,
      async (target, p, ctx) => collect(await this.#read(target, p, ctx), max, p),
      true,
    );
  }

  readFileStream(
    id: string,
    path: string,
    options?: OperationOptions,
  ): Promise<AsyncIterable<Uint8Array>> {
    return this.#files(
      'readFileStream',
      options,
      id,
      path,
      (target, p, ctx) => this.#read(target, p, ctx),
      true,
    );
  }

  async #read(
    target: string,
    path: string,
    ctx: PrimitiveContext,
  ): Promise<AsyncIterable<Uint8Array>> {
    if (this.primitives.readFile) return this.primitives.readFile(target, path, ctx);
    const archive = (await this.primitives.download?.(target, path, ctx)) ?? nothing();
    for await (const { entry, data } of readTar(archive)) {
      if (entry.type === 'directory') {
        throw new ConfigurationError(
          `readFile: ${path} is a directory (use listFiles or download)`,
        );
      }
      // The first member is the path itself; a link is reported, never followed out.
      if (entry.type !== 'file') {
        throw new ConfigurationError(`readFile: ${path} is a ${entry.type}, not a regular file`);
      }
      return once(data);
    }
    throw new FileNotFoundError(target, path);
  }

  listFiles(id: string, path: string, options?: OperationOptions): Promise<FileInfo[]> {
    return this.#files(
      'listFiles',
      options,
      id,
      path,
      async (target, p, ctx) => {
        if (this.primitives.listFiles) return this.primitives.listFiles(target, p, ctx);
        const archive = (await this.primitives.download?.(target, p, ctx)) ?? nothing();
        const found: FileInfo[] = [];
        let root: FileInfo | undefined;
        for await (const { entry } of readTar(archive)) {
          const parts = entry.path.split('/').filter(Boolean);
          const info: FileInfo = {
            name: parts.at(-1) ?? baseName(p),
            path: parts.length <= 1 ? p : `${p === '/' ? '' : p}/${parts.slice(1).join('/')}`,
            type: entry.type,
            size: entry.size,
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            modifiedAt: entry.modifiedAt,
            ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }),
          };
          if (parts.length <= 1) root = info;
          else if (parts.length === 2) found.push(info);
        }
        if (!root) throw new FileNotFoundError(target, p);
        return root.type === 'directory' ? found : [root];
      },
      true,
    );
  }

  removeFile(id: string, path: string, options?: RemoveFileOptions): Promise<void> {
    const given = plainOptions(options, 'removeFile options');
    return this.#files('removeFile', options, id, path, async (target, p, ctx) => {
      if (p === '/') throw new ConfigurationError('removeFile: refusing to remove /');
      await this.primitives.removeFile?.(
        target,
        p,
        { recursive: given.recursive === true, force: given.force === true },
        ctx,
      );
    });
  }

  makeDir(id: string, path: string, options?: MakeDirOptions): Promise<void> {
    const given = plainOptions(options, 'makeDir options');
    return this.#files('makeDir', options, id, path, async (target, p, ctx) => {
      const mode = parseMode(given.mode, 0o755, 'makeDir: mode');
      const owner = parseOwner(given.owner, 'makeDir: owner');
      const parents = given.parents !== false;
      const made = { mode, ...(owner ? { owner } : {}) };
      if (this.primitives.makeDir) {
        return this.primitives.makeDir(target, p, { ...made, parents }, ctx);
      }
      await this.#ensureDir(target, p, ctx, made, parents);
    });
  }

  upload(
    id: string,
    path: string,
    tar: AsyncIterable<Uint8Array>,
    options?: OperationOptions,
  ): Promise<void> {
    if (!tar || typeof tar[Symbol.asyncIterator] !== 'function') {
      throw new ConfigurationError(
        'upload: tar must be an async iterable of Uint8Array (a tar stream)',
      );
    }
    return this.#files('upload', options, id, path, async (target, p, ctx) => {
      await this.#ensureDir(target, p, ctx);
      await this.primitives.upload?.(target, p, tar, 'archive', ctx);
    });
  }

  download(
    id: string,
    path: string,
    options?: OperationOptions,
  ): Promise<AsyncIterable<Uint8Array>> {
    return this.#files(
      'download',
      options,
      id,
      path,
      async (target, p, ctx) => (await this.primitives.download?.(target, p, ctx)) ?? nothing(),
      true,
    );
  }
}
