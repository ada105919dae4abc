import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfigInput } from '@berth/core';
import { eventually as kitEventually, type PollOptions } from '@berth/testkit';
import { afterEach } from 'vitest';
import { LocalDriver, type LocalDriverOptions } from '../src/index.js';

const created: { driver: LocalDriver; dir: string }[] = [];
const extraDirs: string[] = [];

/** A driver on a fresh state directory, torn down (containers, cgroups, files) after the test. */
export async function makeDriver(options: LocalDriverOptions = {}): Promise<LocalDriver> {
  const dir = options.stateDir ?? (await tempDir('state-'));
  const driver = new LocalDriver({ ...options, stateDir: dir });
  created.push({ driver, dir });
  return driver;
}

export async function tempDir(prefix = 'tmp-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-local-${prefix}`));
  extraDirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const { driver, dir } of created.splice(0)) {
    try {
      for (const container of await driver.listContainers()) {
        await driver.removeContainer(container.id, { force: true });
      }
    } finally {
      await driver.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  for (const dir of extraDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A config that runs `script` with sh, secure defaults otherwise. */
export function shell(
  script: string,
  extra: Partial<ContainerConfigInput> = {},
): ContainerConfigInput {
  return { sessionId: 'test', image: 'host', command: ['sh', '-c', script], ...extra };
}

/**
 * The testkit's wait, with this package's defaults (10 s, every 25 ms, done on anything but
 * undefined and false): past the deadline it throws, naming what it waited for and what it saw
 * last; left to the test's own timeout, a failure would say neither.
 */
export function eventually<T>(
  what: string,
  look: () => T | undefined | Promise<T | undefined>,
  done?: undefined,
  options?: PollOptions,
): Promise<T>;
export function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  options?: PollOptions,
): Promise<T>;
export function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean = (seen) => seen !== undefined && seen !== false,
  options: PollOptions = {},
): Promise<T> {
  return kitEventually(what, look, done, { timeoutMs: 10_000, everyMs: 25, ...options });
}

export async function procStatus(pid: number): Promise<Record<string, string>> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const index = line.indexOf(':');
        return [line.slice(0, index), line.slice(index + 1).trim()];
      }),
  );
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return text.slice(text.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** The uid a container runs as (its own identity, unless it chose a user). */
export function containerUid(stateDir: string, id: string): number {
  const record = JSON.parse(
    readFileSync(join(stateDir, 'containers', id, 'container.json'), 'utf8'),
  );
  return record.user.uid as number;
}

/**
 * Live host processes running as `uid`, each with its pid as the host sees it and as its own
 * (innermost) pid namespace does: a container prints the latter.
 */
export function processesOf(uid: number): { pid: number; nsPid: number }[] {
  const found: { pid: number; nsPid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue;
    }
    const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? '';
    if (Number(field('Uid').split(/\s+/)[0]) !== uid) continue;
    if (field('State').startsWith('Z')) continue;
    const nsPids = field('NSpid').split(/\s+/).map(Number);
    found.push({ pid: Number(entry), nsPid: nsPids[nsPids.length - 1] ?? Number(entry) });
  }
  return found;
}

/**
 * The host pid of the process a container knows as `nsPid`, once it runs as `uid` (the chain's
 * last steps may still be switching to it).
 */
export async function hostPidOf(uid: number, nsPid: number): Promise<number> {
  const seen = await eventually(
    `a process of uid ${uid} known inside as pid ${nsPid} (that uid's processes)`,
    () => processesOf(uid),
    (processes) => processes.some((p) => p.nsPid === nsPid),
  );
  return (seen.find((p) => p.nsPid === nsPid) as { pid: number }).pid;
}
