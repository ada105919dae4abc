import {
  ConflictError,
  type ContainerSignal,
  TimeoutError,
  UnsupportedFeatureError,
} from '@berth/core';
import type { EngineContext } from '../engine/engine-context.js';
import { readProcStatSync, signalProcess } from '../host/process-identity.js';
import { freezeGroup, thawGroup } from '../isolation/cgroup-freezer.js';
import { type ContainerCgroup, containerCgroupOf, runCgroupName } from '../isolation/cgroups.js';
import { isContainerId } from '../state/state-layout.js';
import { type ContainerSnapshot, isLive } from './container-snapshot.js';
import { mainProcess } from './sandbox-processes.js';

/*
 * signalContainer, pauseContainer and resumeContainer. A pause is the cgroup freezer's (see
 * cgroup-freezer.ts), and its state is the kernel's: getContainer reads it back from there, in
 * this process or any other on the same stateDir.
 */

/** How long every task of a container may take to freeze before the pause is undone. */
const FREEZE_TIMEOUT_MS = 10_000;

/** What a paused container refuses, with what to do about it (`instead`: "before exec", say). */
export function pausedError(id: string, instead: string): ConflictError {
  return new ConflictError(`Container ${id} is paused: resume it (resumeContainer) ${instead}`);
}

/**
 * Refuses to put a process (exec, spawn) into a container that is not running. A paused one is
 * refused too: the process would join the frozen cgroup and freeze with it, left hanging.
 */
export function requireRunning(snapshot: ContainerSnapshot, instead: string): void {
  if (snapshot.status === 'paused') throw pausedError(snapshot.record.id, instead);
  if (snapshot.status !== 'running' || !snapshot.run) {
    throw new ConflictError(`Container ${snapshot.record.id} is not running`);
  }
}

function notRunning(snapshot: ContainerSnapshot, what: string): ConflictError {
  const { record, status } = snapshot;
  return new ConflictError(`Cannot ${what} container ${record.id}: it is ${status}, not running`);
}

/**
 * The freezer of the container's current run. Rebuilt from the container's id and run number,
 * as the driver made it, rather than taken from run.json: what pause and resume write to is a
 * freezer file of this container's own group, whatever a record on disk says.
 */
async function freezerOf(
  ctx: EngineContext,
  snapshot: ContainerSnapshot,
): Promise<ContainerCgroup> {
  const { record, run } = snapshot;
  const { host } = await ctx.init();
  const expected =
    run && isContainerId(record.id)
      ? containerCgroupOf(host.cgroups, runCgroupName(record.id, run.run))
      : undefined;
  const freezer = expected?.dirs.freezer;
  if (!expected || !freezer || run?.meta.cgroup?.dirs.freezer !== freezer) {
    throw new UnsupportedFeatureError(
      {
        feature: 'pause',
        path: 'pauseContainer',
        reason: `container ${record.id} runs without a freezer cgroup of its own`,
      },
      'It was started without one (by an earlier version of the driver, or with other isolation settings): restart it to get one.',
    );
  }
  return { version: expected.version, dirs: { freezer } };
}

/** Freezes every process of a running container; a paused one is left as it is. */
export async function pauseContainer(
  ctx: EngineContext,
  key: string,
  signal?: AbortSignal,
): Promise<void> {
  const snapshot = await ctx.catalog.require(key);
  if (snapshot.status === 'paused') return;
  if (snapshot.status !== 'running') throw notRunning(snapshot, 'pause');
  const group = await freezerOf(ctx, snapshot);
  // Before the freeze: a health check under way is frozen with the container, and whatever it
  // reports once thawed says nothing of the container's health.
  ctx.health.pausing(snapshot.record.id);
  let outcome: Awaited<ReturnType<typeof freezeGroup>>;
  try {
    outcome = await freezeGroup(group, FREEZE_TIMEOUT_MS, signal);
  } catch (error) {
    // Its group went away under the freeze: the run ended meanwhile.
    const after = await ctx.catalog.require(key);
    if (!isLive(after.status)) throw notRunning(after, 'pause');
    throw error;
  }
  if (outcome === 'aborted') signal?.throwIfAborted();
  if (outcome !== 'frozen') {
    throw new TimeoutError('pauseContainer', FREEZE_TIMEOUT_MS, {
      cause: new Error(
        `not every process of container ${snapshot.record.id} froze; it was thawed again`,
      ),
    });
  }
}

/** Thaws a paused container; a running one is left as it is. */
export async function resumeContainer(ctx: EngineContext, key: string): Promise<void> {
  const snapshot = await ctx.catalog.require(key);
  if (snapshot.status === 'running') return;
  if (snapshot.status !== 'paused') {
    throw new ConflictError(
      `Cannot resume container ${snapshot.record.id}: it is ${snapshot.status}, not paused`,
    );
  }
  await thawGroup(await freezerOf(ctx, snapshot));
}

/** Sends a signal to the container's main process (see mainProcess): the program it runs. */
export async function signalContainer(
  ctx: EngineContext,
  id: string,
  signal: ContainerSignal,
  abort?: AbortSignal,
): Promise<void> {
  const snapshot = await ctx.catalog.require(id);
  // Frozen, it would act on the signal only once resumed, and then unasked.
  if (snapshot.status === 'paused') throw pausedError(snapshot.record.id, 'before signalling it');
  if (snapshot.status !== 'running' || !snapshot.run) throw notRunning(snapshot, 'signal');
  const main = await mainProcess(snapshot.run, abort);
  // Its start time checked again at the last moment: once reaped, its pid could name a stranger.
  const same = main !== undefined && readProcStatSync(main.pid)?.startTime === main.startTime;
  if (!main || !same || !signalProcess(main.pid, signal)) {
    throw new ConflictError(`Cannot signal container ${snapshot.record.id}: its program has ended`);
  }
}
