import type { ExecResult } from '@berth/core';
import type { ContainerRecord } from '../state/container-record.js';
import { writeJsonAtomic } from '../state/json-files.js';
import type { StateLayout } from '../state/state-layout.js';
import type { InContainerOptions } from './container-exec.js';
import { type ContainerSnapshot, isLive, loadSnapshot } from './container-snapshot.js';
import { HealthMonitor, type HealthRecord } from './health-monitor.js';

/** What watching containers' health needs of its driver. */
export interface HealthContext {
  layout: StateLayout;
  require(id: string): Promise<ContainerSnapshot>;
  runIn(
    snapshot: ContainerSnapshot,
    command: string[],
    options: InContainerOptions,
  ): Promise<ExecResult>;
}

/**
 * The health checks this driver runs: one monitor per running container with a healthcheck,
 * from its start (or from when a re-attached driver first finds it) until its run ends.
 */
export class HealthWatch {
  readonly #monitors = new Map<string, HealthMonitor>();
  /** When this driver last paused each container: checks begun before it count for nothing. */
  readonly #pausedAt = new Map<string, number>();

  constructor(private readonly ctx: HealthContext) {}

  /** Starts checking the run that just started, unless it is checked already. */
  watch(record: ContainerRecord, run: number, startedAt: number, previous?: HealthRecord): void {
    const healthcheck = record.config.healthcheck;
    if (!healthcheck || this.#monitors.has(record.id)) return;
    const id = record.id;
    const monitor = new HealthMonitor(
      healthcheck,
      {
        check: async (timeoutMs) => {
          const snapshot = await this.ctx.require(id);
          // Frozen, it cannot answer, and that is no failure of its own: nothing is counted
          // until it runs again.
          if (snapshot.status === 'paused') return { skipped: true };
          if (snapshot.status !== 'running') return { ok: false };
          const began = Date.now();
          const result = await this.ctx.runIn(snapshot, healthcheck.command, { timeoutMs });
          // A check caught by a pause was frozen with the container (and killed at its
          // timeout once thawed): its outcome says nothing of the container's health.
          const pausedAt = this.#pausedAt.get(id);
          if (pausedAt !== undefined && pausedAt >= began) return { skipped: true };
          if ((await this.ctx.require(id)).status === 'paused') return { skipped: true };
          return { ok: result.exitCode === 0, exitCode: result.exitCode };
        },
        isRunning: async () => {
          const snapshot = await loadSnapshot(this.ctx.layout, id);
          return snapshot !== undefined && isLive(snapshot.status) && snapshot.run?.run === run;
        },
        save: (health: HealthRecord) => writeJsonAtomic(this.ctx.layout.healthFile(id), health),
      },
      run,
      startedAt,
      previous,
    );
    this.#monitors.set(id, monitor);
    monitor.start();
  }

  /** Takes over the checks of a running container found on disk (started by another driver). */
  resume(snapshot: ContainerSnapshot): void {
    if (
      isLive(snapshot.status) &&
      snapshot.run &&
      snapshot.record.config.healthcheck &&
      !this.#monitors.has(snapshot.record.id)
    ) {
      this.watch(
        snapshot.record,
        snapshot.run.run,
        Date.parse(snapshot.run.startedAt),
        snapshot.health,
      );
    }
  }

  /** The container is about to be frozen. */
  pausing(id: string): void {
    this.#pausedAt.set(id, Date.now());
  }

  /** The container's run ended (or it is going away): its checks stop. */
  stop(id: string): void {
    this.#monitors.get(id)?.stop();
    this.#monitors.delete(id);
    this.#pausedAt.delete(id);
  }

  stopAll(): void {
    for (const monitor of this.#monitors.values()) monitor.stop();
    this.#monitors.clear();
    this.#pausedAt.clear();
  }
}
