import { ConfigurationError, ContainerExpiredError } from '../errors/index.js';
import {
  type KeeperDriver,
  LifetimeKeeper,
  systemLifetimeClock,
} from '../lifetime/lifetime-keeper.js';
import {
  LIFETIME_LABEL,
  lifetimeLabel,
  recordFromLabel,
  withLifetime,
} from '../lifetime/lifetime-state.js';
import { type ContainerConfig, MAX_LIFETIME_MS } from '../schemas.js';
import type { ContainerInstance } from '../types.js';
import type { LifetimeSupport } from './primitives.js';

/** Use is written at most this often per container: a deadline is seconds away at the least. */
const TOUCH_EVERY_MS = 500;
/** Containers whose record presence is remembered; past it the memory starts over. */
const MAX_REMEMBERED = 10_000;

/**
 * The kit's side of lifetimes: stamping them at create, marking use, refusing to start an
 * expired container, extensions, and the in-process keeper of a driver that has no other.
 */
export class KitLifetimes {
  readonly #support: LifetimeSupport | undefined;
  readonly #driver: () => KeeperDriver;
  readonly #processes: () => Promise<boolean>;
  readonly #touched = new Map<string, number>();
  /** Whether a container has a record: made at create, so a container without one never gets one. */
  readonly #known = new Map<string, boolean>();
  #keeper: LifetimeKeeper | undefined;
  #unwatch: (() => void) | undefined;

  constructor(
    support: LifetimeSupport | undefined,
    driver: () => KeeperDriver,
    processes: () => Promise<boolean>,
  ) {
    this.#support = support;
    this.#driver = driver;
    this.#processes = processes;
  }

  #now(): number {
    return (this.#support?.clock ?? systemLifetimeClock).now();
  }

  /** The labels of a container made now with `config`'s lifetime. */
  label(
    config: ContainerConfig,
    labels: Record<string, string>,
    unenforced: readonly { feature: string }[],
  ): Record<string, string> {
    if (!config.lifetime || !this.#support) return labels;
    if (unenforced.some((u) => u.feature === 'lifetimes')) return labels;
    return { ...labels, [LIFETIME_LABEL]: lifetimeLabel(config.lifetime, this.#now()) };
  }

  /** A container with a lifetime was made: its record, and a keeper to enforce it. */
  async created(instance: ContainerInstance): Promise<ContainerInstance> {
    const support = this.#support;
    const label = instance.labels[LIFETIME_LABEL];
    if (!support || label === undefined) return instance;
    const record = recordFromLabel(label);
    if (!record) return instance;
    support.store.put(instance.id, record);
    support.store.touch(instance.id, this.#now());
    this.#remember(instance.id, true);
    await this.#ensureKeeper();
    return this.decorate(instance);
  }

  decorate(instance: ContainerInstance): ContainerInstance {
    if (!this.#support || instance.labels[LIFETIME_LABEL] === undefined) return instance;
    return withLifetime(instance, this.#support.store);
  }

  #has(id: string): boolean {
    const store = this.#support?.store;
    if (!store) return false;
    let known = this.#known.get(id);
    if (known === undefined) {
      known = store.get(id) !== undefined;
      this.#remember(id, known);
    }
    return known;
  }

  #remember(id: string, known: boolean): void {
    if (this.#known.size >= MAX_REMEMBERED) this.#known.clear();
    this.#known.set(id, known);
  }

  /** An operation used the container: its idle deadline moves. */
  touch(id: string): void {
    if (!this.#has(id)) return;
    const now = this.#now();
    if (now - (this.#touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.#touched.size >= MAX_REMEMBERED) this.#touched.clear();
    this.#touched.set(id, now);
    this.#support?.store.touch(id, now);
  }

  /** Marks use for as long as `work` runs (an exec longer than the idle timeout is not idle). */
  async busy<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.touch(id);
    const idle = this.#has(id) ? this.#support?.store.get(id)?.idleTimeoutMs : null;
    if (!idle) return work();
    const beat = setInterval(() => this.touch(id), Math.max(TOUCH_EVERY_MS, idle / 3));
    beat.unref();
    try {
      return await work();
    } finally {
      clearInterval(beat);
      this.touch(id);
    }
  }

  /**
   * Runs a start (or resume) of `id`: refused for an expired container; afterwards the keeper
   * is made sure of and told, as it may have found the container not running, with nothing to
   * enforce yet.
   */
  async starting(id: string, start: () => Promise<void>): Promise<void> {
    const store = this.#support?.store;
    const record = this.#has(id) ? store?.get(id) : undefined;
    if (!store || !record) return start();
    if (record.expiresAt !== null && record.expiresAt <= this.#now()) {
      throw new ContainerExpiredError(id, new Date(record.expiresAt));
    }
    this.touch(id);
    await start();
    this.#touched.delete(id);
    this.touch(id);
    // Written again unchanged: the change is what wakes a keeper.
    store.put(id, record);
    await this.#ensureKeeper();
  }

  /** Moves the end of `instance`'s time to live `ms` later (from now once it has passed). */
  async extend(instance: ContainerInstance, ms: unknown): Promise<Date> {
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > MAX_LIFETIME_MS) {
      throw new ConfigurationError(
        `extendTtl: ms must be a whole number of milliseconds from 1 to ${MAX_LIFETIME_MS}, got ${JSON.stringify(ms) ?? String(ms)}.`,
      );
    }
    const store = this.#support?.store;
    const current = store ? withLifetime(instance, store).lifetime : undefined;
    if (!store || !current || current.expiresAt === null) {
      throw new ConfigurationError(
        `extendTtl: container ${instance.id} has no time to live to extend. Create it with lifetime: { ttlMs } to give it one.`,
      );
    }
    const from = Math.max(current.expiresAt.getTime(), this.#now());
    const expiresAt = from + ms;
    store.put(instance.id, {
      expiresAt,
      idleTimeoutMs: current.idleTimeoutMs,
      onExpiry: current.onExpiry,
    });
    this.#remember(instance.id, true);
    this.#touched.delete(instance.id);
    this.touch(instance.id);
    await this.#ensureKeeper();
    return new Date(expiresAt);
  }

  /** Drops the records of containers that are gone (after a cleanup removed them). */
  async forget(find: (id: string) => Promise<ContainerInstance | null>): Promise<void> {
    const store = this.#support?.store;
    if (!store) return;
    for (const id of store.ids()) {
      if ((await find(id).catch(() => undefined)) === null) this.removed(id);
    }
  }

  removed(id: string): void {
    this.#touched.delete(id);
    this.#known.delete(id);
    this.#support?.store.remove(id);
  }

  async #ensureKeeper(): Promise<void> {
    const support = this.#support;
    if (!support) return;
    if (support.ensureKeeper) {
      support.ensureKeeper();
      return;
    }
    if (!this.#keeper) {
      const processes = await this.#processes();
      this.#keeper = new LifetimeKeeper(this.#driver(), support.store, {
        processes,
        ...(support.clock ? { clock: support.clock } : {}),
      });
      this.#unwatch = support.store.watch?.(() => this.#keeper?.wake());
      this.#keeper.start();
    }
    this.#keeper.wake();
  }

  /** The in-process keeper, for a test that must know it has looked (undefined without one). */
  get keeper(): LifetimeKeeper | undefined {
    return this.#keeper;
  }

  async close(): Promise<void> {
    this.#unwatch?.();
    await this.#keeper?.stop();
  }
}
