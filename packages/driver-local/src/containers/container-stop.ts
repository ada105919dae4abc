import { ContainerStopError, type StopOptions } from '@berth/core';
import {
  isSameLiveProcess,
  pidNamespaceOf,
  processGroupMembers,
  signalProcess,
  takesDefaultAction,
} from '../host/process-identity.js';
import { thawIfFrozen } from '../isolation/cgroup-freezer.js';
import { cgroupMembers, killCgroup, removeContainerCgroup } from '../isolation/cgroups.js';
import { writeJsonAtomic } from '../state/json-files.js';
import type { ExitRecord, StopRecord } from '../state/run-records.js';
import type { StateLayout } from '../state/state-layout.js';
import type { SupervisorPool } from '../supervisor/supervisor-pool.js';
import { type ContainerSnapshot, isLive, loadSnapshot } from './container-snapshot.js';

const POLL_MS = 50;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done, fail) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        fail(signal.reason);
      },
      { once: true },
    );
  });

/** What stopping and waiting for a container need of its driver. */
export interface StopContext {
  layout: StateLayout;
  pool: SupervisorPool;
  /** Seconds between SIGTERM and SIGKILL when a stop names no timeout. */
  stopTimeout: number;
  require(id: string): Promise<ContainerSnapshot>;
  /** The run ended: what watches it (health checks) can stop. */
  afterExit(id: string): void;
}

/**
 * Stopping a container's run and waiting for runs to end: through its supervisor's exit report
 * where it has one, from the records on disk otherwise.
 */
export class ContainerStopper {
  constructor(private readonly ctx: StopContext) {}

  /** Stops the current run, paused or not: SIGTERM, then SIGKILL once the grace runs out. */
  async halt(id: string, options: StopOptions): Promise<void> {
    const snapshot = await this.ctx.require(id);
    if (!isLive(snapshot.status) || !snapshot.run) return;
    const run = snapshot.run;
    const graceMs = options.force
      ? 0
      : Math.max(0, (options.timeout ?? this.ctx.stopTimeout ?? 10) * 1000);
    const stop: StopRecord = {
      run: run.run,
      requestedAt: new Date().toISOString(),
      killAt: Date.now() + graceMs,
    };
    await writeJsonAtomic(this.ctx.layout.stopFile(id), stop);
    const group = run.meta.cgroup;
    const mainAlive = await isSameLiveProcess(run.pid, run.pidStartTime);

    // Every process of the container is in its cgroup (joined before anything ran); without
    // one, the process group is what there is.
    const targets = async (): Promise<number[]> => {
      if (group) return cgroupMembers(group);
      return mainAlive ? processGroupMembers(run.pid) : [];
    };

    // With its supervisor gone nobody records the end; the driver does, as far as it knows it.
    const finished = async (sent: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
      const after = await this.ctx.require(id);
      if (after.status === 'dead') {
        const exit: ExitRecord = {
          run: run.run,
          exitCode: sent === 'SIGTERM' ? 143 : 137,
          signal: sent,
          oomKilled: false,
          finishedAt: new Date().toISOString(),
          lost: true,
        };
        await writeJsonAtomic(this.ctx.layout.exitFile(id), exit);
        if (group) await removeContainerCgroup(group).catch(() => undefined);
      }
      this.ctx.afterExit(id);
    };

    if (graceMs > 0) {
      // bubblewrap's monitor would die of SIGTERM at once and take the program's clean exit
      // status with it; it ends by itself when the program does. So do the driver's own
      // wrappers of an exec or a spawn (nsenter's parent, waiting for its child): in a sandbox,
      // whatever is in the driver's pid namespace rather than a container's is one of them.
      const pids = await targets();
      const driverNamespace = run.sandboxed ? pidNamespaceOf(process.pid) : undefined;
      const sent: number[] = [];
      for (const pid of pids) {
        if (run.sandboxed && pid === run.pid && pids.length > 1) continue;
        if (pid !== run.pid && driverNamespace && pidNamespaceOf(pid) === driverNamespace) continue;
        if (signalProcess(pid, 'SIGTERM')) sent.push(pid);
      }
      // A paused container is thawed once its processes have SIGTERM pending: frozen, they
      // could not handle it, and this way handling it is the first thing they do.
      if (group && thawIfFrozen(group)) await resendUnheeded(sent, targets);
      if (await this.waitForExit(id, Date.now() + graceMs, options.signal)) {
        return finished('SIGTERM');
      }
    }
    if (mainAlive) signalProcess(-run.pid, 'SIGKILL');
    for (const pid of await targets()) signalProcess(pid, 'SIGKILL');
    // Thaws a paused one too, now that SIGKILL is pending for all of it.
    if (group) await killCgroup(group);
    if (await this.waitForExit(id, Date.now() + 5000, options.signal)) return finished('SIGKILL');
    throw new ContainerStopError(id, 'its processes survived SIGKILL');
  }

  /** True once the current run has an exit record (or cannot get one any more). */
  async waitForExit(id: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
    return (await this.waitForEnd(id, deadline, signal)) !== undefined;
  }

  /**
   * Waits until the current run has ended: undefined at the deadline, else how it ended — the
   * exit record the supervisor sent, or the snapshot read from disk (none if it was removed).
   * `current`, when given, is a snapshot just read, so the first check reads nothing again.
   */
  async waitForEnd(
    id: string,
    deadline: number,
    signal?: AbortSignal,
    current?: ContainerSnapshot,
  ): Promise<{ exit?: ExitRecord; snapshot?: ContainerSnapshot } | undefined> {
    const release = this.ctx.pool.hold();
    try {
      for (;;) {
        const snapshot = current ?? (await loadSnapshot(this.ctx.layout, id));
        current = undefined;
        if (!snapshot || !isLive(snapshot.status)) return snapshot ? { snapshot } : {};
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        signal?.throwIfAborted();
        if (this.ctx.pool.supervises(id)) {
          const exit = await new Promise<ExitRecord | undefined>((done) => {
            const timer = setTimeout(finish, Math.min(left, 1000));
            const off = this.ctx.pool.onExit(id, finish);
            const onAbort = () => finish();
            signal?.addEventListener('abort', onAbort, { once: true });
            function finish(exit?: ExitRecord) {
              clearTimeout(timer);
              off();
              signal?.removeEventListener('abort', onAbort);
              done(exit);
            }
          });
          // Written to disk before it was sent: the same record a reload would find.
          if (exit && exit.run === snapshot.run?.run) return { exit };
        } else {
          await sleep(Math.min(left, POLL_MS), signal);
        }
      }
    } finally {
      release();
    }
  }
}

const THAW_SETTLE_MS = 200;
const SIGTERM_NUMBER = 15;

/**
 * A SIGTERM sent to a frozen task can be lost on thaw (cgroup v1: a `sleep` seen alive after
 * it, nothing pending, holding the container's output open until the timeout's SIGKILL).
 * Sent again only to processes still alive that take its default action: one that handles
 * it, and may be handling the first, never gets a second.
 */
async function resendUnheeded(pids: number[], members: () => Promise<number[]>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, THAW_SETTLE_MS));
  // Only pids still in the container's group: one that ended and was reused is someone else.
  const still = new Set(await members());
  for (const pid of pids.filter((p) => still.has(p))) {
    if (takesDefaultAction(pid, SIGTERM_NUMBER) === true) signalProcess(pid, 'SIGTERM');
  }
}
