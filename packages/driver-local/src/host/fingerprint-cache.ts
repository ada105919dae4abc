import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { detectCgroupLayout } from '../isolation/cgroups.js';
import { readHostView } from '../isolation/sandbox-view.js';
import type { HostFingerprint, IsolationSettings } from './host-fingerprint.js';

/*
 * Fingerprinting the host runs a dozen probe processes (setpriv, bubblewrap, a network
 * namespace, the warm start), ~150–300 ms that a one-shot script would pay on every run. Their
 * answers hold for as long as nothing they depend on changes, so they are kept in the state
 * directory, valid only for the same boot, kernel, user, settings, PATH and user-namespace
 * sysctls, and for the very same tool binaries (inode, size, mtime). What is cheap and can
 * change at any time (the cgroup layout, the host's directory view) is read live each time.
 *
 * Isolation claims come from this file, so it is trusted only when this user owns it and
 * nobody else could have written it; anything else is a fresh fingerprint.
 */

const FILE = 'host-fingerprint.json';
const VERSION = 1;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function conditions(settings: IsolationSettings | undefined) {
  return {
    version: VERSION,
    boot: read('/proc/sys/kernel/random/boot_id'),
    kernel: release(),
    uid: process.getuid?.() ?? -1,
    settings: settings ?? {},
    path: process.env.PATH ?? '',
    userns: [
      read('/proc/sys/kernel/unprivileged_userns_clone'),
      read('/proc/sys/user/max_user_namespaces'),
      read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    ],
  };
}

/** Every tool the fingerprint found, as what would show it was replaced. */
function toolStamps(fingerprint: HostFingerprint): Record<string, string | null> {
  const { tools } = fingerprint;
  const paths = [tools.sh, tools.bwrap, tools.setpriv, tools.nsenter, tools.env];
  if (fingerprint.networks.ip) paths.push(fingerprint.networks.ip);
  const stamps: Record<string, string | null> = {};
  for (const path of paths) {
    if (path === undefined) continue;
    try {
      const s = statSync(path);
      stamps[path] = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      stamps[path] = null;
    }
  }
  return stamps;
}

interface Stored {
  conditions: ReturnType<typeof conditions>;
  tools: Record<string, string | null>;
  fingerprint: HostFingerprint;
}

function trusted(path: string): boolean {
  try {
    const s = statSync(path);
    const uid = process.getuid?.() ?? -1;
    return s.uid === uid && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function load(dir: string, now: ReturnType<typeof conditions>): HostFingerprint | undefined {
  const path = join(dir, FILE);
  if (!trusted(dir) || !trusted(path)) return undefined;
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Stored;
    if (JSON.stringify(stored.conditions) !== JSON.stringify(now)) return undefined;
    if (JSON.stringify(toolStamps(stored.fingerprint)) !== JSON.stringify(stored.tools)) {
      return undefined;
    }
    return stored.fingerprint;
  } catch {
    return undefined;
  }
}

function save(dir: string, stored: Stored): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = join(dir, `${FILE}.${process.pid}.tmp`);
    writeFileSync(temporary, JSON.stringify(stored), { mode: 0o600 });
    renameSync(temporary, join(dir, FILE));
  } catch {
    // Not kept: the next process fingerprints again.
  }
}

/** The host's fingerprint: the kept one while it still holds, else `compute`'s, then kept. */
export async function cachedFingerprint(
  dir: string,
  settings: IsolationSettings | undefined,
  compute: () => Promise<HostFingerprint>,
): Promise<HostFingerprint> {
  const now = conditions(settings);
  const kept = load(dir, now);
  if (kept) {
    const live = settings?.cgroups === false ? kept.cgroups : await detectCgroupLayout();
    const view = kept.platform === 'linux' ? await readHostView() : kept.tools.view;
    return { ...kept, cgroups: live, tools: { ...kept.tools, view } };
  }
  const fingerprint = await compute();
  save(dir, { conditions: now, tools: toolStamps(fingerprint), fingerprint });
  return fingerprint;
}
