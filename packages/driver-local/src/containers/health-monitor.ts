import type { Healthcheck, HealthStatus } from '@berth/core';
import { isNumber, isObject, isOptional, isString } from '../state/json-shapes.js';

export interface HealthRecord {
  run: number;
  status: HealthStatus;
  failingStreak: number;
  lastCheckAt?: string;
  lastExitCode?: number;
}

/** Every status a health record may hold: a status core adds is a type error here. */
const HEALTH_STATUSES: Record<HealthStatus, true> = {
  none: true,
  starting: true,
  healthy: true,
  unhealthy: true,
};

/** health.json, as the monitor of the run it names saved it. */
export function isHealthRecord(value: unknown): value is HealthRecord {
  return (
    isObject(value) &&
    isNumber(value.run) &&
    isString(value.status) &&
    Object.hasOwn(HEALTH_STATUSES, value.status) &&
    isNumber(value.failingStreak) &&
    isOptional(value.lastCheckAt, isString) &&
    isOptional(value.lastExitCode, isNumber)
  );
}

/** A check's outcome: passed or not, or skipped (it says nothing, as of a paused container). */
export type CheckResult = { ok: boolean; exitCode?: number } | { skipped: true };

export interface HealthProbe {
  /** ok when the check passed within its timeout. */
  check(timeoutMs: number): Promise<CheckResult>;
  isRunning(): Promise<boolean>;
  save(record: HealthRecord): Promise<void>;
}

/**
 * Runs one container's health check on its interval, with Docker's rules: failures inside the
 * start period do not count, `retries` consecutive failures make it unhealthy, one success makes
 * it healthy. Timers are unreferenced: monitoring never keeps the driver's process alive.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private record: HealthRecord;

  constructor(
    private readonly healthcheck: Healthcheck,
    private readonly probe: HealthProbe,
    run: number,
    private readonly startedAt: number,
    /** The record an earlier driver left for this run, when taking over its checks. */
    previous?: HealthRecord,
  ) {
    this.record =
      previous?.run === run ? { ...previous } : { run, status: 'starting', failingStreak: 0 };
  }

  start(): void {
    void this.probe.save(this.record).catch(() => undefined);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.healthcheck.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!(await this.probe.isRunning())) {
        this.stop();
        return;
      }
      const result = await this.probe
        .check(this.healthcheck.timeoutMs)
        .catch((): CheckResult => ({ ok: false }));
      if (this.stopped) return;
      if (!('skipped' in result)) await this.count(result);
    } catch {
      // A check that cannot even run counts as nothing; the next tick tries again.
    }
    this.schedule();
  }

  private async count(result: { ok: boolean; exitCode?: number }): Promise<void> {
    const next: HealthRecord = { ...this.record, lastCheckAt: new Date().toISOString() };
    if (result.exitCode !== undefined) next.lastExitCode = result.exitCode;
    if (result.ok) {
      next.status = 'healthy';
      next.failingStreak = 0;
    } else if (Date.now() - this.startedAt >= this.healthcheck.startPeriodMs) {
      next.failingStreak += 1;
      if (next.failingStreak >= Math.max(1, this.healthcheck.retries)) next.status = 'unhealthy';
    }
    this.record = next;
    await this.probe.save(next);
  }
}
