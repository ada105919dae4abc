import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLayout, ContainerCgroup } from './cgroups.js';

/*
 * Pausing a container is the cgroup freezer's work: it takes every task of the group off the
 * CPU where the scheduler is concerned, and delivers nothing to them. SIGSTOP would be a signal
 * the container's processes could see (their parent gets SIGCHLD) and undo (any of them may
 * SIGCONT another); a frozen task runs no code at all, and the files that thaw it are root's,
 * outside every sandbox's view.
 *
 * v1: the freezer controller's `freezer.state`; writing FROZEN asks, and it reads FREEZING until
 * every task is stopped. v2: `cgroup.freeze` (1 or 0) asks, `cgroup.events` says `frozen 1` once
 * it is done. Like the other cgroup files these are kernel interfaces: read and written
 * synchronously (see cgroups.ts).
 */

export type FreezerState = 'thawed' | 'freezing' | 'frozen';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

/** What the group's freezer is at now; undefined where it has none, or it is gone. */
export function freezerState(group: ContainerCgroup): FreezerState | undefined {
  const dir = group.dirs.freezer;
  if (!dir) return undefined;
  try {
    if (group.version === 1) {
      const state = read(dir, 'freezer.state');
      if (state === 'FROZEN') return 'frozen';
      return state === 'FREEZING' ? 'freezing' : 'thawed';
    }
    if (read(dir, 'cgroup.freeze') !== '1') return 'thawed';
    return eventsSayFrozen(dir) ? 'frozen' : 'freezing';
  } catch {
    return undefined;
  }
}

/** v2: whether the kernel has finished freezing the group (it lags behind cgroup.freeze). */
function eventsSayFrozen(dir: string): boolean {
  return /^frozen 1$/m.test(read(dir, 'cgroup.events'));
}

/**
 * Asks for the group frozen or thawed. Opened read-write rather than created: a group that went
 * away (its run ended) is an error here, never a new file wherever the path points.
 */
function request(version: 1 | 2, dir: string, frozen: boolean): void {
  const [file, value] =
    version === 1
      ? ['freezer.state', frozen ? 'FROZEN' : 'THAWED']
      : ['cgroup.freeze', frozen ? '1' : '0'];
  writeFileSync(join(dir, file), value, { flag: 'r+' });
}

/** Polls `done` with a growing interval: most freezes finish within a millisecond or two. */
async function settle(
  done: () => boolean,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (let wait = 1; ; wait = Math.min(wait * 2, 25)) {
    if (done()) return true;
    if (Date.now() >= deadline || signal?.aborted) return false;
    await sleep(wait);
  }
}

/**
 * Freezes the group and waits until every task of it is frozen. A freeze that does not finish
 * in time (a task stuck in the kernel) is undone: a container half frozen is neither paused nor
 * running. Resolves to what became of it.
 */
export async function freezeGroup(
  group: ContainerCgroup,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<'frozen' | 'timeout' | 'aborted'> {
  const dir = group.dirs.freezer as string;
  request(group.version, dir, true);
  const deadline = Date.now() + timeoutMs;
  const frozen = () => {
    const state = freezerState(group);
    // v1 can miss a task forked while the group freezes, and then reads FREEZING for good
    // (seen here under a fork loop): asking again walks the group anew, as runc does.
    if (state === 'freezing' && group.version === 1) request(1, dir, true);
    return state === 'frozen';
  };
  if (await settle(frozen, deadline, signal)) return 'frozen';
  request(group.version, dir, false);
  return signal?.aborted ? 'aborted' : 'timeout';
}

/** Thaws the group and waits (briefly: thawing does not wait on the tasks) until it is. */
export async function thawGroup(group: ContainerCgroup): Promise<void> {
  const dir = group.dirs.freezer;
  if (!dir) return;
  request(group.version, dir, false);
  const thawed = () => {
    try {
      return group.version === 1 ? freezerState(group) === 'thawed' : !eventsSayFrozen(dir);
    } catch {
      return true;
    }
  };
  await settle(thawed, Date.now() + 1000, undefined);
}

/**
 * Thaws the group if it is frozen (or being frozen), without waiting. For the paths that end a
 * container: a frozen task acts on no signal, SIGKILL included, until it is thawed (v1), and
 * one stopped with SIGTERM must run to handle it. False where there was nothing to thaw.
 */
export function thawIfFrozen(group: ContainerCgroup): boolean {
  const dir = group.dirs.freezer;
  const state = freezerState(group);
  if (!dir || state === undefined || state === 'thawed') return false;
  try {
    request(group.version, dir, false);
    return true;
  } catch {
    // Gone meanwhile: nothing left in it to thaw.
    return false;
  }
}

/**
 * Whether containers' groups can be frozen here, tried on an empty group of its own (made,
 * frozen, thawed, removed): a mounted controller may still refuse, in a container for one.
 */
export async function probeFreezer(
  layout: CgroupLayout,
  name: string,
): Promise<{ works: boolean; reason?: string }> {
  const base =
    layout.version === 2
      ? layout.mounts.unified
      : layout.version === 1
        ? layout.mounts.freezer
        : undefined;
  if (!base || layout.version === null) {
    return {
      works: false,
      reason: `no freezer: ${layout.version === 1 ? 'the freezer controller is not mounted' : 'no cgroup hierarchy'}`,
    };
  }
  const dir = join(base, layout.parent, name);
  const group: ContainerCgroup = { version: layout.version, dirs: { freezer: dir } };
  try {
    mkdirSync(dir, { recursive: true });
    try {
      const outcome = await freezeGroup(group, 2000);
      if (outcome !== 'frozen') return { works: false, reason: 'an empty group did not freeze' };
      await thawGroup(group);
      if (freezerState(group) !== 'thawed') {
        return { works: false, reason: 'a frozen group did not thaw' };
      }
      return { works: true };
    } finally {
      rmdirSync(dir);
    }
  } catch (error) {
    return { works: false, reason: `the freezer cannot be used: ${(error as Error).message}` };
  }
}
