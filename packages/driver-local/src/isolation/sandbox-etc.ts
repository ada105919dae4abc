import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
// .ts: the benchmark runs this module straight from source, where Node resolves no .js to .ts.
import { ETC_ENTRIES, sandboxAccounts } from './sandbox-view.ts';

/*
 * The sandbox's /etc: a directory of copies of the few host entries programs read to run, plus
 * accounts of its own, bound read-only as one mount. One mount rather than one per entry: a
 * namespace with thirty mounts takes milliseconds longer to tear down, on every container's
 * exit. The copy is made once per content of the host's entries (its name is their digest) and
 * shared by every driver using the same cache directory; a host change makes a new one, while
 * containers still running keep the copy they started with.
 */

interface Entry {
  path: string;
  kind: 'dir' | 'file' | 'symlink';
  mode: number;
  size: number;
  mtimeMs: number;
  target?: string;
}

/** Entries readable by anyone: a container's user could read nothing else, so nothing else is copied. */
function worldReadable(mode: number, kind: Entry['kind']): boolean {
  if (kind === 'symlink') return true;
  return kind === 'dir' ? (mode & 0o005) === 0o005 : (mode & 0o004) === 0o004;
}

/** Whether a symlink at `rel` in /etc leads to what a sandbox shows (/usr), seen from its /etc. */
function staysInView(rel: string, target: string): boolean {
  const absolute = target.startsWith('/') ? target : join('/etc', dirname(rel), target);
  return absolute.startsWith('/usr/');
}

function walk(hostEtc: string, names: readonly string[]): Entry[] {
  const entries: Entry[] = [];
  const visit = (rel: string, top: boolean) => {
    const host = join(hostEtc, rel);
    let info = lstatSync(host, { throwIfNoEntry: false });
    if (!info) return;
    let kind: Entry['kind'] | undefined;
    let target: string | undefined;
    if (info.isSymbolicLink()) {
      target = readlinkSync(host);
      // resolv.conf -> /run/...: what it names is copied, as the sandbox has no /run.
      if (top && !staysInView(rel, target)) {
        info = statSync(host, { throwIfNoEntry: false });
        if (!info?.isFile()) return;
        kind = 'file';
        target = undefined;
      } else {
        kind = 'symlink';
      }
    } else if (info.isDirectory()) kind = 'dir';
    else if (info.isFile()) kind = 'file';
    if (!kind || !worldReadable(info.mode, kind)) return;
    entries.push({
      path: rel,
      kind,
      mode: info.mode & 0o7777,
      size: info.size,
      mtimeMs: info.mtimeMs,
      ...(target !== undefined ? { target } : {}),
    });
    if (kind === 'dir') for (const name of readdirSync(host).sort()) visit(join(rel, name), false);
  };
  for (const name of names) visit(name, true);
  return entries;
}

function build(dir: string, hostEtc: string, entries: Entry[]): void {
  mkdirSync(dir, { mode: 0o755 });
  for (const entry of entries) {
    const path = join(dir, entry.path);
    if (entry.kind === 'dir') mkdirSync(path, { mode: 0o755 });
    else if (entry.kind === 'symlink') symlinkSync(entry.target as string, path);
    else copyFileSync(join(hostEtc, entry.path), path);
    // Owned by root as the builder is; modes as on the host, without set-id bits.
    if (entry.kind !== 'symlink') chmodSync(path, entry.mode & 0o777);
  }
  const accounts = sandboxAccounts();
  writeFileSync(join(dir, 'passwd'), accounts.passwd, { mode: 0o644 });
  writeFileSync(join(dir, 'group'), accounts.group, { mode: 0o644 });
  chmodSync(dir, 0o755);
}

/**
 * The directory to bind as a sandbox's /etc, made under `cacheDir` if this content of the host's
 * entries has none yet. Parallel drivers may build at once: each builds aside and renames into
 * place, and the first rename wins.
 */
export function prepareSandboxEtc(cacheDir: string, hostEtc = '/etc'): string {
  const entries = walk(hostEtc, ETC_ENTRIES);
  const digest = createHash('sha256')
    .update(JSON.stringify([entries, sandboxAccounts()]))
    .digest('hex')
    .slice(0, 20);
  const dir = join(cacheDir, digest);
  if (existsSync(dir)) return dir;
  mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
  const aside = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    build(aside, hostEtc, entries);
    renameSync(aside, dir);
  } catch (error) {
    rmSync(aside, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return dir;
}
