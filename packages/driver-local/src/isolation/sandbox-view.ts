import { lstat, readlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { RootEntry } from './sandbox-command.js';

/*
 * What of the host a container sees when it runs in the host "image": the system directories a
 * program needs to run, read-only, and a hand-picked part of /etc. Everything else (home
 * directories, /var, /run, /srv, /opt, /mnt, other drivers' state, sockets) is simply not there:
 * the sandbox's root is a fresh tmpfs, and only these entries are bound into it.
 */

/** Top-level entries bound read-only (or re-created as the symlinks they are on merged-/usr hosts). */
export const SYSTEM_ENTRIES = ['usr', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * Entries of /etc programs read to run: the dynamic loader's cache, name service and time zone
 * settings, TLS roots, the alternatives links Debian resolves commands through. No credentials
 * (shadow, gshadow, ssh keys) and nothing about the host's services. passwd and group are the
 * sandbox's own (see sandboxAccounts), never the host's. Copied, not bound: see sandbox-etc.ts.
 */
export const ETC_ENTRIES = [
  'alternatives',
  'bash.bashrc',
  'ca-certificates',
  'ca-certificates.conf',
  'debian_version',
  'gai.conf',
  'host.conf',
  'hosts',
  'inputrc',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'magic',
  'mime.types',
  'networks',
  'nsswitch.conf',
  'os-release',
  'profile',
  'protocols',
  'resolv.conf',
  'rpc',
  'services',
  'shells',
  'ssl',
  'terminfo',
  'timezone',
];

/** The parts of the host a sandbox is built from, read once per driver. */
export interface HostView {
  /** Top-level entries, from SYSTEM_ENTRIES, as they are on this host. */
  system: RootEntry[];
  /** Entries of /etc, from ETC_ENTRIES, as they are on this host. */
  etc: RootEntry[];
}

async function entryOf(dir: string, name: string): Promise<RootEntry | undefined> {
  try {
    const info = await lstat(join(dir, name));
    if (info.isSymbolicLink())
      return { name, kind: 'symlink', target: await readlink(join(dir, name)) };
    if (info.isDirectory()) return { name, kind: 'dir' };
    if (info.isFile()) return { name, kind: 'file' };
  } catch {
    // Not on this host.
  }
  return undefined;
}

export async function readHostView(): Promise<HostView> {
  const pick = async (dir: string, names: string[]) =>
    (await Promise.all(names.map((n) => entryOf(dir, n)))).filter(
      (e): e is RootEntry => e !== undefined,
    );
  const [system, etc] = await Promise.all([pick('/', SYSTEM_ENTRIES), pick('/etc', ETC_ENTRIES)]);
  return { system, etc };
}

/**
 * The sandbox's /etc/passwd and /etc/group: root and nobody, so that ownership shows names, and
 * nothing of the host's accounts. A container's own uid has no entry, as under any engine
 * running an image as an arbitrary numeric user.
 */
export function sandboxAccounts(): { passwd: string; group: string } {
  return {
    passwd:
      'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    group: 'root:x:0:\nnogroup:x:65534:\n',
  };
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? root : `${root}${sep}`);
}

/** Host directories bound into every sandbox (read-only): where nothing new can be created. */
export function boundHostDirs(view: HostView): string[] {
  return [
    ...view.system.filter((e) => e.kind === 'dir').map((e) => `/${e.name}`),
    ...view.etc.filter((e) => e.kind === 'dir').map((e) => `/etc/${e.name}`),
  ];
}

/**
 * Whether a path the container names exists for it through the host view (its own work dir,
 * /tmp and mounts aside): under a bound system directory or a bound /etc entry, following the
 * view's top-level symlinks (bin -> usr/bin).
 */
export function visibleThroughView(path: string, view: HostView): boolean {
  const top = path.split('/')[1] ?? '';
  const system = view.system.find((e) => e.name === top);
  if (system) {
    if (system.kind !== 'symlink' || system.target === undefined) return true;
    const target = system.target.startsWith('/') ? system.target : `/${system.target}`;
    const rest = path.slice(top.length + 1);
    return target !== path && visibleThroughView(`${target}${rest}`, view);
  }
  if (top === 'etc') {
    const name = path.split('/')[2] ?? '';
    return view.etc.some((e) => e.name === name) || name === 'passwd' || name === 'group';
  }
  return false;
}

/** Paths of the host a sandbox shows as they are: for callers that must tell "not there". */
export function isInsideAny(path: string, roots: string[]): boolean {
  return roots.some((root) => inside(path, root));
}
