import type { ContainerDriver } from '@berth/core';
import { realClock, type SessionClock } from '../clock.js';
import type { SessionEventMap, SessionEvents } from '../events/session-events.js';
import { callHook, warn } from '../shared/hooks.js';
import { OptionReader, requireDriver } from '../shared/option-reader.js';
import { HealthMemory, type MonitorEventName, runRound } from './health-round.js';

type AlertName = 'container:unhealthy' | 'container:died' | 'driver:unhealthy';

/** What `onAlert` gets: the event's payload, with `type` naming the event. */
export type HealthAlert = {
  [E in AlertName]: { type: E } & SessionEventMap[E];
}[AlertName];

export interface HealthMonitorOptions {
  /** Watch this session's containers only. Default: every container of the driver. */
  sessionId?: string;
  /** Time between the end of one round and the start of the next. Default 5000. */
  intervalMs?: number;
  /** Longest wait for each driver call of a round; past it the call counts as failed. Default 2000. */
  timeoutMs?: number;
  /** Default: real time. Pass driver-mock's ManualClock to drive the monitor with fake time. */
  clock?: SessionClock;
  /** Where events go (shared with Recovery and the session). Default: a new SessionEvents. */
  events?: SessionEvents;
  /** Called with every unhealthy, died and driver-unhealthy event. Its failures are warnings. */
  onAlert?: (alert: HealthAlert) => void;
}

const OPTIONS = ['sessionId', 'intervalMs', 'timeoutMs', 'clock', 'events', 'onAlert'] as const;
const ALERTS: ReadonlySet<string> = new Set<AlertName>([
  'container:unhealthy',
  'container:died',
  'driver:unhealthy',
]);

/**
 * Watches a driver and its containers in rounds and reports changes as events: the driver
 * going down or coming back, containers turning healthy or unhealthy, containers dying.
 * Transitions only: a state seen again in the next round is not reported again.
 */
export class HealthMonitor {
  /** The events it emits on (the one given in the options, or its own). */
  readonly events: SessionEvents;
  readonly #driver: ContainerDriver;
  readonly #sessionId: string | undefined;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #clock: SessionClock;
  readonly #onAlert: ((alert: HealthAlert) => void) | undefined;
  readonly #memory = new HealthMemory();
  #loop: { stop: AbortController; done: Promise<void> } | undefined;
  #round: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(driver: ContainerDriver, options: HealthMonitorOptions = {}) {
    this.#driver = requireDriver('HealthMonitor', driver, [
      'healthCheck',
      'listContainers',
      'isContainerHealthy',
    ]);
    const read = new OptionReader('HealthMonitor', options, OPTIONS);
    this.#sessionId = read.optionalString('sessionId');
    this.#intervalMs = read.milliseconds('intervalMs', 5000, 0, true);
    this.#timeoutMs = read.milliseconds('timeoutMs', 2000, 0, true);
    this.#clock = read.clock('clock', realClock);
    this.events = read.events('events', false);
    this.#onAlert = read.optionalFunction('onAlert');
    read.done();
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.#loop !== undefined;
  }

  /**
   * Runs a round at once, then one every `intervalMs` after the previous one ended (so a slow
   * round never overlaps the next). Calling it while running does nothing.
   */
  start(): void {
    if (this.#loop) return;
    const stop = new AbortController();
    this.#loop = { stop, done: this.#run(stop.signal) };
  }

  /**
   * Stops the rounds: cancels the wait for the next one and the driver calls of the one under
   * way, and resolves once that round has unwound. Nothing is emitted after it is called, and
   * no timer or sleep of the monitor's is left pending.
   */
  async stop(): Promise<void> {
    const loop = this.#loop;
    const round = this.#round;
    this.#loop = undefined;
    this.#round = undefined;
    loop?.stop.abort(new Error('the HealthMonitor was stopped'));
    round?.abort.abort(new Error('the HealthMonitor was stopped'));
    await Promise.all([loop?.done, round?.done]);
  }

  /**
   * One round now (started or not); resolves when it is done. While a round is under way it
   * resolves with that one instead of starting another, so two never run at once.
   */
  checkNow(): Promise<void> {
    if (this.#round) return this.#round.done;
    const abort = new AbortController();
    const round = {
      abort,
      done: runRound({
        driver: this.#driver,
        sessionId: this.#sessionId,
        timeoutMs: this.#timeoutMs,
        clock: this.#clock,
        signal: abort.signal,
        memory: this.#memory,
        emit: (event, payload) => this.#emit(event, payload, abort.signal),
      })
        // A bug of ours must not end the monitoring: warn and keep going.
        .catch((error: unknown) => warn('BerthHealthMonitorError', 'a health round failed', error))
        .finally(() => {
          if (this.#round === round) this.#round = undefined;
        }),
    };
    this.#round = round;
    return round.done;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.checkNow();
      try {
        await this.#clock.sleep(this.#intervalMs, signal);
      } catch {
        return;
      }
    }
  }

  #emit<E extends MonitorEventName>(
    event: E,
    payload: SessionEventMap[E],
    signal: AbortSignal,
  ): void {
    if (signal.aborted) return;
    this.events.emit(event, payload);
    if (ALERTS.has(event)) {
      callHook('onAlert', this.#onAlert, { type: event, ...payload } as HealthAlert);
    }
  }
}
