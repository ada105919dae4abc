import {
  ConfigurationError,
  type FileInfo,
  FileNotFoundError,
  FileSystemError,
  type FileType,
  packTar,
  readTar,
  type TarMember,
} from '@berth/core';
import type { MockState } from '../engine/mock-state.js';

interface Node {
  type: FileType;
  data: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  modifiedAt: Date;
  linkTarget?: string;
}

type Tree = Map<string, Node>;

const trees = new WeakMap<MockState, Map<string, Tree>>();

const dir = (mode: number): Node => ({
  type: 'directory',
  data: new Uint8Array(0),
  mode,
  uid: 0,
  gid: 0,
  modifiedAt: new Date(0),
});

/** A container's files: the root and a world-writable /tmp to begin with, as an image gives. */
function treeOf(
  state: MockState,
  id: string,
): { tree: Tree; containerId: string; writableRoot: boolean; user: { uid: number; gid: number } } {
  const container = state.container(id);
  const containerId = container.instance.id;
  let byContainer = trees.get(state);
  if (!byContainer) {
    byContainer = new Map();
    trees.set(state, byContainer);
  }
  let tree = byContainer.get(containerId);
  if (!tree) {
    tree = new Map([
      ['/', dir(0o755)],
      ['/tmp', dir(0o1777)],
    ]);
    byContainer.set(containerId, tree);
  }
  const [uid = 65534, gid = uid] = (container.config.security.user ?? '65534:65534')
    .split(':')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 65534));
  return {
    tree,
    containerId,
    writableRoot: !container.config.security.readOnly,
    user: { uid, gid },
  };
}

const parent = (path: string) =>
  path.lastIndexOf('/') <= 0 ? '/' : path.slice(0, path.lastIndexOf('/'));
const join = (base: string, rel: string) => (base === '/' ? `/${rel}` : `${base}/${rel}`);

function checkWritable(path: string, writableRoot: boolean): void {
  if (writableRoot || path === '/tmp' || path.startsWith('/tmp/')) return;
  throw new FileSystemError(
    `Read-only file system: ${path} (the container's root is read-only; write under /tmp or create it with security.readOnly false)`,
  );
}

/** A member name from an archive, refused when it would climb out of where it is unpacked. */
function memberPath(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.includes('..') || parts.length === 0) {
    throw new FileSystemError(
      `tar member ${JSON.stringify(name)} would be unpacked outside its directory`,
    );
  }
  return parts.join('/');
}

export async function uploadFiles(
  state: MockState,
  id: string,
  path: string,
  tar: AsyncIterable<Uint8Array>,
  ownership: 'archive' | 'container',
): Promise<void> {
  const { tree, containerId, writableRoot, user } = treeOf(state, id);
  const target = tree.get(path);
  if (target && target.type !== 'directory') {
    throw new ConfigurationError(`upload: ${path} is not a directory`);
  }
  checkWritable(path, writableRoot);
  if (!tree.has(parent(path)) && path !== '/')
    throw new FileNotFoundError(containerId, parent(path));
  const staged: [string, Node][] = [];
  for await (const { entry, data } of readTar(tar)) {
    if (entry.type === 'other') continue;
    const at = join(path, memberPath(entry.path));
    const owner = ownership === 'container' ? user : { uid: entry.uid, gid: entry.gid };
    staged.push([
      at,
      {
        type: entry.type,
        data: entry.type === 'file' ? data : new Uint8Array(0),
        mode: entry.mode,
        ...owner,
        modifiedAt: entry.modifiedAt,
        ...(entry.linkTarget === undefined ? {} : { linkTarget: entry.linkTarget }),
      },
    ]);
  }
  // All or nothing: a refused member leaves the container as it was.
  if (!tree.has(path)) tree.set(path, { ...dir(0o755), ...user });
  for (const [at, node] of staged) {
    for (let p = parent(at); !tree.has(p); p = parent(p)) tree.set(p, { ...dir(0o755), ...user });
    tree.set(at, node);
  }
}

export async function downloadFiles(
  state: MockState,
  id: string,
  path: string,
): Promise<AsyncIterable<Uint8Array>> {
  const { tree, containerId } = treeOf(state, id);
  const root = tree.get(path);
  if (!root) throw new FileNotFoundError(containerId, path);
  const name = path === '/' ? '.' : path.slice(path.lastIndexOf('/') + 1);
  const members: TarMember[] = [];
  const add = (rel: string, node: Node) =>
    members.push({
      entry: {
        path: rel,
        type: node.type,
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        size: node.type === 'file' ? node.data.byteLength : 0,
        modifiedAt: node.modifiedAt,
        ...(node.linkTarget === undefined ? {} : { linkTarget: node.linkTarget }),
      },
      data: node.data,
    });
  add(name, root);
  if (root.type === 'directory') {
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const [p, node] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (p !== path && p.startsWith(prefix)) add(`${name}/${p.slice(prefix.length)}`, node);
    }
  }
  return packTar(members);
}

export function removeFiles(
  state: MockState,
  id: string,
  path: string,
  options: { recursive: boolean; force: boolean },
): void {
  const { tree, containerId, writableRoot } = treeOf(state, id);
  const node = tree.get(path);
  if (!node) {
    if (options.force) return;
    throw new FileNotFoundError(containerId, path);
  }
  checkWritable(path, writableRoot);
  const inside = [...tree.keys()].filter((p) => p.startsWith(`${path}/`));
  if (node.type === 'directory' && inside.length > 0 && !options.recursive) {
    throw new FileSystemError(`Directory not empty: ${path} (pass { recursive: true })`);
  }
  for (const p of inside) tree.delete(p);
  tree.delete(path);
}

/** Drops a removed container's files. */
export function forgetFiles(state: MockState, containerId: string): void {
  trees.get(state)?.delete(containerId);
}

export function statFile(state: MockState, id: string, path: string): FileInfo | null {
  const { tree } = treeOf(state, id);
  const node = tree.get(path);
  if (!node) return null;
  return {
    name: path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1),
    path,
    type: node.type,
    size: node.type === 'file' ? node.data.byteLength : 0,
    mode: node.mode,
    uid: node.uid,
    gid: node.gid,
    modifiedAt: node.modifiedAt,
    ...(node.linkTarget === undefined ? {} : { linkTarget: node.linkTarget }),
  };
}
