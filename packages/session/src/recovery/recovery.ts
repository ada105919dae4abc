import { type ContainerDriver, ContainerNotFoundError, getErrorMessage } from '@berth/core';
import { realClock, type SessionClock } from '../clock.js';
import type { ServiceEvent, SessionEventMap, SessionEvents } from '../events/session-events.js';
import { warn, warnHookFailed } from '../shared/hooks.js';
import { OptionReader, requireDriver } from '../shared/option-reader.js';
import {
  type Backoff,
  type BackoffOptions,
  type Budget,
  type BudgetOptions,
  backoffDelay,
  RestartLedger,
} from './restart-budget.js';

export type FailureDecision = 'continue' | 'end-session';

/** What `onFailed` gets: the `service:failed` payload and the last restart's error, if any. */
export type ServiceFailure = SessionEventMap['service:failed'] & { lastError?: unknown };

export interface RecoveryOptions {
  /** The events to act on and report to: the HealthMonitor's (`monitor.events`). */
  events: SessionEvents;
  /** Default: real time. Pass driver-mock's ManualClock to drive the backoff with fake time. */
  clock?: SessionClock;
  backoff?: BackoffOptions;
  budget?: BudgetOptions;
  /**
   * Called after `service:failed`, once a container used up its restart budget. Its answer
   * decides what follows: `'continue'` (default) leaves the container as it is, `'end-session'`
   * calls `endSession` with its session.
   */
  onFailed?: (failure: ServiceFailure) => FailureDecision | Promise<FailureDecision>;
  /** Ends a session (the SessionManager passes its own). Needed for `'end-session'`. */
  endSession?: (sessionId: string) => Promise<void>;
}

const OPTIONS = ['events', 'clock', 'backoff', 'budget', 'onFailed', 'endSession'] as const;

type Cause = { kind: 'unhealthy' } | { kind: 'died'; exitCode: number | undefined };

/**
 * Restarts containers the HealthMonitor reports unhealthy or dead: with exponential backoff
 * between attempts, one recovery at a time per container, and a budget of restarts per
 * container in a sliding window past which the service is declared failed.
 */
export class Recovery {
  readonly #driver: ContainerDriver;
  readonly #events: SessionEvents;
  readonly #clock: SessionClock;
  readonly #backoff: Backoff;
  readonly #budget: Budget;
  readonly #onFailed: RecoveryOptions['onFailed'];
  readonly #endSession: RecoveryOptions['endSession'];
  readonly #ledgers = new Map<string, RestartLedger>();
  readonly #active = new Map<string, Promise<void>>();
  readonly #ending = new Map<string, Promise<void>>();
  #subscription: { stop: AbortController; off: (() => void)[] } | undefined;

  constructor(driver: ContainerDriver, options: RecoveryOptions) {
    this.#driver = requireDriver('Recovery', driver, [
      'getContainer',
      'startContainer',
      'restartContainer',
    ]);
    const read = new OptionReader('Recovery', options, OPTIONS);
    this.#events = read.events('events', true);
    this.#clock = read.clock('clock', realClock);
    const backoff = read.nested('backoff', ['initialMs', 'factor', 'maxMs']);
    this.#backoff = {
      initialMs: backoff.milliseconds('initialMs', 1000),
      factor: backoff.number('factor', 2, 1, false),
      maxMs: backoff.milliseconds('maxMs', 30_000),
    };
    if (this.#backoff.maxMs < this.#backoff.initialMs) {
      read.refuse(['backoff', 'maxMs'], `must be at least initialMs (${this.#backoff.initialMs})`);
    }
    const budget = read.nested('budget', ['restarts', 'windowMs']);
    this.#budget = {
      restarts: budget.integer('restarts', 5, 0),
      windowMs: budget.milliseconds('windowMs', 60_000, 0, true),
    };
    this.#onFailed = read.optionalFunction('onFailed');
    this.#endSession = read.optionalFunction('endSession');
    read.done();
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.#subscription !== undefined;
  }

  /** Starts acting on `container:unhealthy` and `container:died`. Idempotent. */
  start(): void {
    if (this.#subscription) return;
    const stop = new AbortController();
    this.#subscription = {
      stop,
      off: [
        this.#events.on('container:unhealthy', (event) =>
          this.#onTrouble(event, { kind: 'unhealthy' }, stop.signal),
        ),
        this.#events.on('container:died', (event) =>
          this.#onTrouble(event, { kind: 'died', exitCode: event.exitCode }, stop.signal),
        ),
      ],
    };
  }

  /**
   * Unsubscribes, cancels backoff waits and restarts under way, and resolves once those have
   * unwound. `onFailed` and `endSession` calls already made are not waited for: they may well
   * be what is stopping it.
   */
  async stop(): Promise<void> {
    const subscription = this.#subscription;
    if (!subscription) return;
    this.#subscription = undefined;
    for (const off of subscription.off) off();
    subscription.stop.abort(new Error('the Recovery was stopped'));
    await Promise.all([...this.#active.values()]);
  }

  #onTrouble(event: ServiceEvent, cause: Cause, signal: AbortSignal): void {
    // Ids are the driver's own: another driver's container on a shared emitter is not ours.
    if (signal.aborted || event.driver !== this.#driver.name) return;
    // A second alarm while recovering is the same trouble, seen again.
    if (this.#active.has(event.containerId)) return;
    this.#forgetQuietOnes();
    const task = this.#recover(event, cause, signal)
      .catch((error: unknown) => warn('BerthRecoveryError', 'a recovery failed', error))
      .finally(() => this.#active.delete(event.containerId));
    this.#active.set(event.containerId, task);
  }

  async #recover(trouble: ServiceEvent, cause: Cause, signal: AbortSignal): Promise<void> {
    const id = trouble.containerId;
    let ledger = this.#ledgers.get(id);
    if (!ledger) {
      ledger = new RestartLedger(this.#budget.windowMs);
      this.#ledgers.set(id, ledger);
    }
    let lastError: unknown;
    for (;;) {
      const restarts = ledger.count(this.#clock.now());
      if (restarts >= this.#budget.restarts) {
        this.#fail(trouble, cause, restarts, lastError, signal);
        return;
      }
      const attempt = restarts + 1;
      const delayMs = backoffDelay(this.#backoff, attempt);
      this.#emit('container:restarting', { ...this.#base(trouble), attempt, delayMs }, signal);
      try {
        await this.#clock.sleep(delayMs, signal);
      } catch {
        return;
      }
      ledger.record(this.#clock.now());
      try {
        await this.#restart(id, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ContainerNotFoundError) {
          // Removed meanwhile (the session ended, or someone cleaned up): nothing to recover.
          this.#ledgers.delete(id);
          return;
        }
        lastError = error;
        continue;
      }
      this.#emit('container:restarted', { ...this.#base(trouble), attempt }, signal);
      return;
    }
  }

  /** Drops the ledgers of containers with no restart left in the window: they start afresh. */
  #forgetQuietOnes(): void {
    const now = this.#clock.now();
    for (const [id, ledger] of this.#ledgers) {
      if (!this.#active.has(id) && ledger.count(now) === 0) this.#ledgers.delete(id);
    }
  }

  /** Restarts a running container (unhealthy), starts one that ended (died). */
  async #restart(id: string, signal: AbortSignal): Promise<void> {
    const container = await this.#driver.getContainer(id, { signal });
    if (!container) throw new ContainerNotFoundError(id);
    if (container.status === 'running' || container.status === 'paused') {
      await this.#driver.restartContainer(id, { signal });
    } else {
      await this.#driver.startContainer(id, { signal });
    }
  }

  #fail(
    trouble: ServiceEvent,
    cause: Cause,
    restarts: number,
    lastError: unknown,
    signal: AbortSignal,
  ): void {
    const what =
      cause.kind === 'died'
        ? `died${cause.exitCode === undefined ? '' : ` (exit code ${cause.exitCode})`}`
        : 'is unhealthy';
    const last =
      lastError === undefined ? '' : `; the last restart failed: ${getErrorMessage(lastError)}`;
    const reason = `${trouble.service} ${what} and has used up its restart budget (${restarts} attempts within ${this.#budget.windowMs} ms)${last}`;
    const failure: SessionEventMap['service:failed'] = { ...this.#base(trouble), restarts, reason };
    if (!this.#emit('service:failed', failure, signal)) return;
    // Not awaited by the recovery: the hooks may stop this Recovery, which waits for it.
    void this.#decide(lastError === undefined ? failure : { ...failure, lastError }, signal);
  }

  async #decide(failure: ServiceFailure, signal: AbortSignal): Promise<void> {
    let decision: unknown = 'continue';
    if (this.#onFailed) {
      try {
        decision = await this.#onFailed(failure);
      } catch (error) {
        warnHookFailed('onFailed', error);
        return;
      }
    }
    if (decision === undefined || decision === 'continue') return;
    if (decision !== 'end-session') {
      warn(
        'BerthHookError',
        `onFailed returned ${JSON.stringify(decision)}: return 'continue' or 'end-session'; continuing`,
        new Error(`unknown decision ${JSON.stringify(decision)}`),
      );
      return;
    }
    // Stopped meanwhile: whoever stopped it owns the session now.
    if (signal.aborted) return;
    if (!this.#endSession) {
      warn(
        'BerthHookError',
        "onFailed chose 'end-session' but Recovery was given no endSession hook: pass endSession in its options",
        new Error(`cannot end session ${failure.sessionId}`),
      );
      return;
    }
    this.#endOnce(failure.sessionId, this.#endSession);
  }

  /** Several services of one session failing together end it once. */
  #endOnce(sessionId: string, endSession: (sessionId: string) => Promise<void>): void {
    if (this.#ending.has(sessionId)) return;
    const ending = (async () => endSession(sessionId))()
      .catch((error: unknown) => warnHookFailed('endSession', error))
      .finally(() => this.#ending.delete(sessionId));
    this.#ending.set(sessionId, ending);
  }

  #base(trouble: ServiceEvent): ServiceEvent {
    return {
      sessionId: trouble.sessionId,
      containerId: trouble.containerId,
      service: trouble.service,
      driver: this.#driver.name,
      at: new Date(this.#clock.now()),
    };
  }

  /** Emits unless stopped; says whether it did. */
  #emit<E extends 'container:restarting' | 'container:restarted' | 'service:failed'>(
    event: E,
    payload: SessionEventMap[E],
    signal: AbortSignal,
  ): boolean {
    if (signal.aborted) return false;
    this.#events.emit(event, payload);
    return true;
  }
}
