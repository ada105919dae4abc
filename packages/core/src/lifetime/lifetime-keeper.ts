import { ContainerNotFoundError } from '../errors/index.js';
import type { ContainerDriver, ContainerInstance } from '../types.js';
import { LIFETIME_LABEL, type LifetimeState, lifetimeState } from './lifetime-state.js';
import type { LifetimeStore } from './lifetime-store.js';

/** Time as the keeper sees it: real time, or a test's (the mock's ManualClock fits). */
export interface LifetimeClock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemLifetimeClock: LifetimeClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(done, ms);
      // The keeper's loop must never be what keeps a process alive.
      timer.unref();
      signal?.addEventListener('abort', stop, { once: true });
      function done() {
        signal?.removeEventListener('abort', stop);
        resolve();
      }
      function stop() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
    }),
};

export type KeeperDriver = Pick<
  ContainerDriver,
  'listContainers' | 'stopContainer' | 'removeContainer' | 'listProcesses'
>;

export interface ExpiryEvent {
  containerId: string;
  reason: 'ttl' | 'idle';
  action: 'stop' | 'remove';
}

export interface LifetimeKeeperOptions {
  clock?: LifetimeClock;
  /** Longest sleep between two looks at the containers. Default 10 s. */
  rescanMs?: number;
  /** Whether listProcesses can tell the keeper about processes running in a container. */
  processes?: boolean;
  onExpired?(event: ExpiryEvent): void;
  onError?(error: unknown): void;
}

/** Wait after a failed look or action before trying again. */
const RETRY_MS = 1000;
/** Containers being stopped or removed at once. */
const MAX_ACTING = 16;

/**
 * Stops or removes containers whose time to live or idle timeout has run out. It sleeps until
 * the next deadline (or `rescanMs`, or a `wake`), then looks at every container with a lifetime
 * through the driver itself, so whatever the driver does on stop and remove happens here too.
 * Deadlines are read afresh each time: an extension or a use moves them only later, so waking
 * early is harmless and a record is never trusted past its reading.
 */
export class LifetimeKeeper {
  readonly #driver: KeeperDriver;
  readonly #store: LifetimeStore;
  readonly #clock: LifetimeClock;
  readonly #options: LifetimeKeeperOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #nap: AbortController | undefined;
  #again = false;
  /** Containers being stopped or removed now. */
  readonly #acting = new Set<string>();
  /** Containers it still has work for, as of its last look. */
  armed = 0;
  /** Resolved after each look: for a caller that must know the keeper has seen a change. */
  #looked: (() => void)[] = [];

  constructor(driver: KeeperDriver, store: LifetimeStore, options: LifetimeKeeperOptions = {}) {
    this.#driver = driver;
    this.#store = store;
    this.#clock = options.clock ?? systemLifetimeClock;
    this.#options = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Look again now: a container was made or its record changed. */
  wake(): void {
    this.#again = true;
    this.#nap?.abort();
  }

  /** Resolves once the keeper has looked at everything after this call. */
  nextLook(): Promise<void> {
    return new Promise((resolve) => {
      this.#looked.push(resolve);
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#nap?.abort();
    await this.#loop;
  }

  /** Whether it is stopping or removing a container now. */
  get acting(): boolean {
    return this.#acting.size > 0;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#again = false;
      const waiting = this.#looked;
      this.#looked = [];
      let next: number;
      try {
        next = await this.look();
      } catch (error) {
        this.#options.onError?.(error);
        next = this.#clock.now() + RETRY_MS;
      }
      for (const resolve of waiting) resolve();
      if (!this.#running || this.#again) continue;
      this.#nap = new AbortController();
      const rescan = this.#options.rescanMs ?? 10_000;
      await this.#clock
        // From the deadline, not from when the look began: a slow look must not make it late.
        .sleep(Math.max(0, Math.min(next - this.#clock.now(), rescan)), this.#nap.signal)
        .catch(() => undefined);
    }
  }

  /** One look at every container with a lifetime; returns the next deadline (epoch ms). */
  async look(): Promise<number> {
    // Records are read before the containers, so a record whose container is missing from the
    // list had its container gone before the list was made, not made after it.
    const recorded = new Set(this.#store.ids());
    const containers = await this.#driver.listContainers({ label: { [LIFETIME_LABEL]: true } });
    let next = Infinity;
    let armed = 0;
    for (const instance of containers) {
      recorded.delete(instance.id);
      const state = lifetimeState(instance, this.#store);
      if (!state?.armed) continue;
      armed += 1;
      const now = this.#clock.now();
      if (state.deadline > now) {
        next = Math.min(next, state.deadline);
      } else if (!this.#acting.has(instance.id) && this.#acting.size < MAX_ACTING) {
        // Not awaited: a program slow to stop must not hold back every other deadline.
        this.#acting.add(instance.id);
        void this.#due(instance, state, now).finally(() => {
          this.#acting.delete(instance.id);
          this.wake();
        });
      }
    }
    for (const id of recorded) if (!this.#acting.has(id)) this.#store.remove(id);
    this.armed = armed;
    return next;
  }

  /** Acts on a container whose deadline has passed. */
  async #due(instance: ContainerInstance, state: LifetimeState, now: number): Promise<void> {
    if (state.reason === 'idle' && (await this.#busy(instance.id))) {
      // A process still running is use: idle time counts from when it ends.
      this.#store.touch(instance.id, now);
      return;
    }
    const action = state.onExpiry;
    try {
      if (action === 'remove') {
        await this.#driver.removeContainer(instance.id, { force: true, volumes: true });
        this.#store.remove(instance.id);
      } else {
        await this.#driver.stopContainer(instance.id);
      }
      this.#options.onExpired?.({ containerId: instance.id, reason: state.reason, action });
    } catch (error) {
      if (error instanceof ContainerNotFoundError) {
        this.#store.remove(instance.id);
        return;
      }
      this.#options.onError?.(error);
      // Tried again on a later look, not at once: the engine may be down.
      await this.#clock.sleep(RETRY_MS).catch(() => undefined);
    }
  }

  async #busy(id: string): Promise<boolean> {
    if (!this.#options.processes) return false;
    try {
      return (await this.#driver.listProcesses(id)).some((p) => p.running);
    } catch {
      return false;
    }
  }
}
