import {
  type ContainerDriver,
  ContainerNotFoundError,
  NetworkNotFoundError,
  VolumeNotFoundError,
} from '@berth/core';
import { realClock, type SessionClock } from '../clock.js';
import { type SessionEventMap, SessionEvents } from '../events/session-events.js';
import { HealthMonitor } from '../health/health-monitor.js';
import { type FailureDecision, Recovery, type ServiceFailure } from '../recovery/recovery.js';
import type { BackoffOptions, BudgetOptions } from '../recovery/restart-budget.js';

/** A part of a session as it is removed: containers, then networks, then volumes. */
export interface SessionParts {
  /** Service → container id, in start order (they are stopped in reverse). */
  containers: [service: string, id: string][];
  networks: { id: string; name: string }[];
  volumes: { id: string; name: string }[];
}

/** How a session watches over itself (see `Session.watch`). */
export interface WatchOptions {
  /** Health rounds (default every 5 s, each check given 2 s). */
  intervalMs?: number;
  timeoutMs?: number;
  backoff?: BackoffOptions;
  budget?: BudgetOptions;
  /**
   * The session's policy once a service used up its restart budget: `'continue'` (default)
   * leaves it failed, `'end-session'` ends the whole session (reason `failed`).
   */
  onFailed?:
    | FailureDecision
    | ((failure: ServiceFailure) => FailureDecision | Promise<FailureDecision>);
}

/** What a session holds from a resource pool, given back when it ends. */
export interface HeldResources {
  release(): void;
}

export type EndReason = SessionEventMap['session:ended']['reason'];

interface SessionContext {
  driver: ContainerDriver;
  clock: SessionClock;
  events: SessionEvents | undefined;
  held: HeldResources | undefined;
  /** Epoch ms at which the session ends by itself (its TTL), if it has one. */
  expiresAt: number | undefined;
  idleMs: number | undefined;
}

function gone(error: unknown): boolean {
  return (
    ContainerNotFoundError.isInstance(error) ||
    VolumeNotFoundError.isInstance(error) ||
    NetworkNotFoundError.isInstance(error)
  );
}

/** Removes parts in reverse; what it removed, and what it could not. */
export async function removeParts(
  driver: ContainerDriver,
  parts: SessionParts,
  onRemoved?: (service: string, id: string) => void,
): Promise<{ removed: string[]; left: string[] }> {
  const removed: string[] = [];
  const left: string[] = [];
  const attempt = async (what: string, remove: () => Promise<void>) => {
    try {
      await remove();
      removed.push(what);
    } catch (error) {
      if (gone(error)) removed.push(what);
      else left.push(`${what} (${error instanceof Error ? error.message : String(error)})`);
    }
  };
  for (const [service, id] of [...parts.containers].reverse()) {
    await attempt(`container ${service} ${id}`, async () => {
      await driver.removeContainer(id, { force: true, volumes: true });
      onRemoved?.(service, id);
    });
  }
  for (const network of [...parts.networks].reverse()) {
    await attempt(`network ${network.name}`, () => driver.removeNetwork(network.id));
  }
  for (const volume of [...parts.volumes].reverse()) {
    await attempt(`volume ${volume.name}`, () => driver.removeVolume(volume.id));
  }
  return { removed, left };
}

/**
 * A running session: its services' containers, its networks and volumes. It ends when told to
 * (`end()`), when its TTL passes, or after `idleMs` without `touch()`; ending stops and removes
 * everything it owns, and is idempotent.
 */
export class Session {
  readonly id: string;
  readonly #ctx: SessionContext;
  readonly #parts: SessionParts;
  readonly #timers = new AbortController();
  #lastTouch: number;
  #ending: Promise<void> | undefined;
  #watch: { monitor: HealthMonitor; recovery: Recovery } | undefined;
  #endReason: EndReason | undefined;

  constructor(id: string, parts: SessionParts, ctx: SessionContext) {
    this.id = id;
    this.#parts = parts;
    this.#ctx = ctx;
    this.#lastTouch = ctx.clock.now();
    void this.#watchLifetime();
  }

  get driver(): ContainerDriver {
    return this.#ctx.driver;
  }

  /** Service → container id. */
  get services(): Record<string, string> {
    return Object.fromEntries(this.#parts.containers);
  }

  get networks(): string[] {
    return this.#parts.networks.map((n) => n.name);
  }

  get volumes(): string[] {
    return this.#parts.volumes.map((v) => v.name);
  }

  /** Why it ended, once it has; undefined while it runs. */
  get ended(): EndReason | undefined {
    return this.#endReason;
  }

  containerOf(service: string): string {
    const found = this.#parts.containers.find(([name]) => name === service);
    if (!found) throw new ContainerNotFoundError(`${this.id}/${service}`);
    return found[1];
  }

  /**
   * Health monitoring and recovery for this session's containers: a service that dies or turns
   * unhealthy is restarted with backoff, within a restart budget, and past it the policy says
   * whether the session goes on or ends. Their events go to the session's events (or a fresh
   * emitter, returned). Ending the session stops both first, so its own stops are not taken
   * for deaths.
   */
  watch(options: WatchOptions = {}): {
    monitor: HealthMonitor;
    recovery: Recovery;
    events: SessionEvents;
  } {
    if (this.#watch) throw new Error(`Session ${this.id} is already watched`);
    const events = this.#ctx.events ?? new SessionEvents();
    const { onFailed } = options;
    const monitor = new HealthMonitor(this.#ctx.driver, {
      sessionId: this.id,
      clock: this.#ctx.clock,
      events,
      ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    const recovery = new Recovery(this.#ctx.driver, {
      events,
      clock: this.#ctx.clock,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      ...(onFailed === undefined
        ? {}
        : { onFailed: typeof onFailed === 'function' ? onFailed : () => onFailed }),
      endSession: async (sessionId) => {
        if (sessionId === this.id) await this.end('failed');
      },
    });
    this.#watch = { monitor, recovery };
    recovery.start();
    monitor.start();
    return { monitor, recovery, events };
  }

  /** Marks the session as in use: the idle timeout counts from here. */
  touch(): void {
    this.#lastTouch = this.#ctx.clock.now();
  }

  /** Stops and removes everything the session owns. Resolves once it is all gone. */
  end(reason: EndReason = 'ended'): Promise<void> {
    this.#ending ??= this.#end(reason);
    return this.#ending;
  }

  async #end(reason: EndReason): Promise<void> {
    this.#endReason = reason;
    this.#timers.abort();
    if (this.#watch) {
      // Before any stop: the monitor would report the session's own stops as deaths.
      this.#watch.recovery.stop();
      await this.#watch.monitor.stop();
    }
    const { driver, events } = this.#ctx;
    const at = () => ({
      at: new Date(this.#ctx.clock.now()),
      driver: driver.name,
      sessionId: this.id,
    });
    // Stopped first, in reverse start order, so dependents never see what they need vanish.
    for (const [service, id] of [...this.#parts.containers].reverse()) {
      try {
        await driver.stopContainer(id);
        events?.emit('container:stopped', { ...at(), service, containerId: id });
      } catch (error) {
        if (!gone(error)) throw error;
      }
    }
    const { left } = await removeParts(driver, this.#parts, (service, id) =>
      events?.emit('container:removed', { ...at(), service, containerId: id }),
    );
    this.#ctx.held?.release();
    if (left.length > 0) {
      this.#ending = undefined;
      throw new Error(`Session ${this.id} could not remove: ${left.join(', ')}`);
    }
    events?.emit('session:ended', { ...at(), reason });
  }

  /**
   * A lifetime wait must not keep the process alive: a session outlives its process by design
   * (attach finds it, and its TTL, again), so a program that is done may exit. Fake clocks keep
   * their own ways.
   */
  #wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#ctx.clock !== realClock) return this.#ctx.clock.sleep(ms, signal);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async #watchLifetime(): Promise<void> {
    const { clock, expiresAt, idleMs } = this.#ctx;
    if (expiresAt === undefined && idleMs === undefined) return;
    const signal = this.#timers.signal;
    try {
      for (;;) {
        const now = clock.now();
        if (expiresAt !== undefined && now >= expiresAt) return void (await this.end('ttl'));
        const idleAt = idleMs === undefined ? undefined : this.#lastTouch + idleMs;
        if (idleAt !== undefined && now >= idleAt) return void (await this.end('idle'));
        const next = Math.min(
          expiresAt ?? Number.POSITIVE_INFINITY,
          idleAt ?? Number.POSITIVE_INFINITY,
        );
        await this.#wait(next - now, signal);
      }
    } catch {
      // Aborted by end(), or an end that failed: end() reports that to whoever awaits it.
    }
  }
}
