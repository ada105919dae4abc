import { type BerthEvents, ConfigurationError, ConflictError } from '@berth/core';
import { realClock, type SessionClock } from '../clock.js';
import type { SessionEvents } from '../events/session-events.js';
import {
  addUnits,
  capacityUnits,
  fromUnits,
  minusUnits,
  type PoolCapacity,
  type ResourceAmounts,
  type ResourceRequest,
  requestUnits,
  shortOf,
  type Units,
} from './amounts.js';
import { aheadNote, limitError, PoolWaitTimeoutError } from './errors.js';
import {
  Allocation,
  type AllocationRecord,
  type PoolLedger,
  Reservation,
  type ReservationRecord,
} from './handles.js';
import {
  type ReserveOptions,
  readReserveOptions,
  readTrackOptions,
  type TrackOptions,
} from './options.js';
import { WaitQueue } from './wait-queue.js';

export interface ResourcePoolOptions {
  capacity: PoolCapacity;
  /** Time for `timeoutMs` waits; pass a ManualClock in tests. */
  clock?: SessionClock;
  /** Where `pool:allocated` and `pool:released` are emitted. */
  events?: SessionEvents;
}

export interface PoolState {
  capacity: PoolCapacity;
  /** Neither reserved nor allocated. */
  available: ResourceAmounts;
  allocated: ResourceAmounts;
  /** Held by reservations and not yet allocated from them. */
  reserved: ResourceAmounts;
  allocations: { id: string; owner: string; containerId?: string; amounts: ResourceAmounts }[];
  reservations: { id: string; owner: string; amounts: ResourceAmounts }[];
  /** Requests waiting for capacity, first served first. */
  waiting: { owner: string; amounts: ResourceAmounts }[];
}

/**
 * Capacity shared by containers of any driver: requests hold it (reserve) and hand it to the
 * containers they make (allocate), and it comes back on release or, through `track`, when a
 * container is removed or dies.
 *
 * Requests that wait are served first come, first served, with conservative backfill (see
 * WaitQueue): a big request at the head is never starved by small ones behind it, nor by
 * newcomers that do not wait.
 */
export class ResourcePool {
  readonly #capacity: Units;
  readonly #free: Units;
  readonly #clock: SessionClock;
  readonly #events: SessionEvents | undefined;
  readonly #reservations = new Map<string, ReservationRecord>();
  readonly #allocations = new Map<string, AllocationRecord>();
  readonly #byContainer = new Map<string, AllocationRecord>();
  readonly #queue: WaitQueue;
  #reservationCount = 0;
  #allocationCount = 0;

  readonly #ledger: PoolLedger = {
    allocateFrom: (record, containerId, amounts) =>
      this.#allocateFrom(record, containerId, amounts),
    releaseReservation: (record) => this.#releaseReservation(record),
    bind: (record, containerId) => this.#bind(record, containerId),
    releaseAllocation: (record, reason) => this.#releaseAllocation(record, reason),
  };

  constructor(options: ResourcePoolOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError(
        'new ResourcePool needs options: { capacity: { cpu, memoryMb, diskMb?, pids? }, clock?, events? }.',
      );
    }
    this.#capacity = capacityUnits(options.capacity);
    this.#free = { ...this.#capacity };
    const { clock, events } = options;
    if (
      clock !== undefined &&
      (typeof clock?.now !== 'function' || typeof clock.sleep !== 'function')
    ) {
      throw new ConfigurationError(
        'The pool clock must have now() and sleep(ms, signal) (realClock, or a ManualClock in tests).',
      );
    }
    if (events !== undefined && typeof events?.emit !== 'function') {
      throw new ConfigurationError('The pool events must be a SessionEvents.');
    }
    this.#clock = clock ?? realClock;
    this.#events = events;
    this.#queue = new WaitQueue(this.#free, this.#clock);
  }

  /**
   * Holds `amounts` for `owner`, to allocate to containers later. Past what is available it is
   * a PoolLimitError (a ResourceLimitError) unless `wait: true`; then it waits its turn until
   * capacity frees, `timeoutMs` passes (PoolWaitTimeoutError, a TimeoutError) or `signal`
   * aborts (its reason). More than the whole capacity fails at once, waiting or not.
   */
  reserve(owner: string, amounts: ResourceRequest, options?: ReserveOptions): Promise<Reservation> {
    return this.#obtain(owner, amounts, options, 'reserve', (units) => {
      const record: ReservationRecord = {
        id: `reservation-${++this.#reservationCount}`,
        owner,
        held: { ...units },
        released: false,
      };
      this.#reservations.set(record.id, record);
      return new Reservation(this.#ledger, record);
    });
  }

  /** Reserves and allocates in one step: an allocation to `bind` to its container once made. */
  allocate(owner: string, amounts: ResourceRequest, options?: ReserveOptions): Promise<Allocation> {
    return this.#obtain(owner, amounts, options, 'allocate', (units) =>
      this.#newAllocation(owner, units),
    );
  }

  /**
   * Releases an allocation (by its id or its container's id) or a reservation's unallocated
   * rest (by its id). Idempotent: false when nothing by that id is held.
   */
  release(id: string, reason = 'released'): boolean {
    if (typeof id !== 'string' || id === '') {
      throw new ConfigurationError(
        `pool.release needs an allocation, container or reservation id, got ${String(id)}.`,
      );
    }
    const allocation = this.#allocations.get(id) ?? this.#byContainer.get(id);
    if (allocation) return this.#releaseAllocation(allocation, reason);
    const reservation = this.#reservations.get(id);
    return reservation ? this.#releaseReservation(reservation) : false;
  }

  /**
   * Gives back a container's allocation when `events` (from core's withEvents around any
   * driver) says it was removed or died. With a recovery that restarts dead containers in
   * place, track `on: ['removed']` only: the restarted container still needs its share.
   * Returns the function that stops tracking.
   */
  track(events: BerthEvents, options?: TrackOptions): () => void {
    if (typeof events !== 'object' || events === null || typeof events.on !== 'function') {
      throw new ConfigurationError(
        'pool.track needs the BerthEvents given to withEvents(events) around the driver.',
      );
    }
    const on = readTrackOptions(options);
    const stops: (() => void)[] = [];
    if (on.has('removed')) {
      stops.push(
        events.on('container:removed', (e) => this.#reclaim(e.containerId, 'container removed')),
      );
    }
    if (on.has('died')) {
      stops.push(
        events.on('container:died', (e) =>
          this.#reclaim(
            e.containerId,
            `container died (exit code ${e.exitCode}${e.oomKilled ? ', out of memory' : ''})`,
          ),
        ),
      );
    }
    return () => {
      for (const stop of stops.splice(0)) stop();
    };
  }

  /** A copy of the accounting: what is available, allocated, reserved, and by whom. */
  state(): PoolState {
    const allocated: Units = {};
    const reserved: Units = {};
    const allocations: PoolState['allocations'] = [];
    for (const record of this.#allocations.values()) {
      addUnits(allocated, record.units);
      allocations.push({
        id: record.id,
        owner: record.owner,
        ...(record.containerId === undefined ? {} : { containerId: record.containerId }),
        amounts: fromUnits(record.units),
      });
    }
    const reservations: PoolState['reservations'] = [];
    for (const record of this.#reservations.values()) {
      addUnits(reserved, record.held);
      reservations.push({ id: record.id, owner: record.owner, amounts: fromUnits(record.held) });
    }
    return {
      capacity: fromUnits(this.#capacity),
      available: fromUnits(this.#free),
      allocated: fromUnits({ ...this.#zero(), ...allocated }),
      reserved: fromUnits({ ...this.#zero(), ...reserved }),
      allocations,
      reservations,
      waiting: this.#queue.list().map((w) => ({ owner: w.owner, amounts: fromUnits(w.units) })),
    };
  }

  #zero(): Units {
    return minusUnits(this.#capacity, this.#capacity);
  }

  async #obtain<T>(
    owner: string,
    amounts: ResourceRequest,
    options: ReserveOptions | undefined,
    operation: string,
    make: (units: Units) => T,
  ): Promise<T> {
    if (typeof owner !== 'string' || owner === '') {
      throw new ConfigurationError(
        `pool.${operation} needs an owner (who the capacity is for, e.g. a session id), got ${String(owner)}.`,
      );
    }
    const { wait, timeoutMs, signal } = readReserveOptions(options, operation);
    const units = requestUnits(amounts, this.#capacity, `pool.${operation} for '${owner}'`);
    const never = shortOf(units, this.#capacity);
    if (never) {
      throw limitError(
        owner,
        never,
        this.#capacity,
        units,
        (asked, whole) =>
          `'${owner}' asks for ${asked}, more than the pool's whole capacity of ${whole}: no release can make room. Ask for at most ${whole}, or give the pool more capacity.`,
      );
    }
    signal?.throwIfAborted();
    const take = () => {
      addUnits(this.#free, units, -1);
      return make(units);
    };
    const open = this.#queue.open();
    const short = shortOf(units, open);
    if (!short) return take();
    if (!wait) {
      throw limitError(
        owner,
        short,
        open,
        units,
        (asked, available) =>
          `'${owner}' asks for ${asked}, and the pool has ${available} available. ${aheadNote(this.#queue.length)}Pass wait: true to wait for it, release what is held, or ask for less.`,
      );
    }
    return this.#queue.enqueue(owner, units, take, { timeoutMs, signal }, (open, ahead) => {
      const resource = shortOf(units, open) ?? 'cpu';
      const shortfall = limitError(
        owner,
        resource,
        open,
        units,
        (asked, available) =>
          `it asks for ${asked}, and the pool has ${available} available. ${aheadNote(ahead)}Release capacity sooner, wait longer, or ask for less.`,
      );
      return new PoolWaitTimeoutError(owner, timeoutMs ?? 0, shortfall);
    });
  }

  #newAllocation(owner: string, units: Units, containerId?: string): Allocation {
    const record: AllocationRecord = {
      id: `allocation-${++this.#allocationCount}`,
      owner,
      units: { ...units },
      ...(containerId === undefined ? {} : { containerId }),
    };
    this.#allocations.set(record.id, record);
    if (containerId !== undefined) this.#byContainer.set(containerId, record);
    this.#events?.emit('pool:allocated', {
      at: new Date(this.#clock.now()),
      allocationId: record.id,
      owner,
    });
    return new Allocation(this.#ledger, record);
  }

  #checkContainerId(containerId: unknown, what: string): asserts containerId is string {
    if (typeof containerId !== 'string' || containerId === '') {
      throw new ConfigurationError(
        `${what} needs the id of the container, got ${String(containerId)}.`,
      );
    }
  }

  #checkFree(containerId: string, record?: AllocationRecord): void {
    const holder = this.#byContainer.get(containerId);
    if (holder && holder !== record) {
      throw new ConflictError(
        `Container ${containerId} holds allocation ${holder.id} already: release that one first, or use this allocation for another container.`,
      );
    }
  }

  #allocateFrom(
    record: ReservationRecord,
    containerId: string,
    amounts: ResourceRequest,
  ): Allocation {
    this.#checkContainerId(containerId, `reservation.allocate (${record.id})`);
    if (record.released) {
      throw new ConfigurationError(
        `Reservation ${record.id} of '${record.owner}' was released, so it holds nothing to allocate: reserve again.`,
      );
    }
    this.#checkFree(containerId);
    const units = requestUnits(amounts, this.#capacity, `reservation.allocate (${record.id})`);
    const short = shortOf(units, record.held);
    if (short) {
      throw limitError(
        record.owner,
        short,
        record.held,
        units,
        (asked, held) =>
          `Container ${containerId} asks for ${asked}, and reservation ${record.id} of '${record.owner}' holds ${held} unallocated: allocate at most what it holds, or reserve more.`,
      );
    }
    addUnits(record.held, units, -1);
    return this.#newAllocation(record.owner, units, containerId);
  }

  #releaseReservation(record: ReservationRecord): boolean {
    if (record.released) return false;
    record.released = true;
    this.#reservations.delete(record.id);
    addUnits(this.#free, record.held);
    record.held = this.#zero();
    this.#queue.drain();
    return true;
  }

  #bind(record: AllocationRecord, containerId: string): void {
    this.#checkContainerId(containerId, `allocation.bind (${record.id})`);
    if (record.releasedBecause !== undefined) {
      throw new ConfigurationError(
        `Allocation ${record.id} of '${record.owner}' was released (${record.releasedBecause}): allocate again for container ${containerId}.`,
      );
    }
    if (record.containerId === containerId) return;
    if (record.containerId !== undefined) {
      throw new ConflictError(
        `Allocation ${record.id} is bound to container ${record.containerId} already: an allocation holds one container's share, so allocate another for ${containerId}.`,
      );
    }
    this.#checkFree(containerId, record);
    record.containerId = containerId;
    this.#byContainer.set(containerId, record);
  }

  #releaseAllocation(record: AllocationRecord, reason: string): boolean {
    if (typeof reason !== 'string') {
      throw new ConfigurationError(`A release reason must be a string, got ${String(reason)}.`);
    }
    if (record.releasedBecause !== undefined) return false;
    record.releasedBecause = reason;
    this.#allocations.delete(record.id);
    if (record.containerId !== undefined && this.#byContainer.get(record.containerId) === record) {
      this.#byContainer.delete(record.containerId);
    }
    addUnits(this.#free, record.units);
    this.#events?.emit('pool:released', {
      at: new Date(this.#clock.now()),
      allocationId: record.id,
      owner: record.owner,
      reason,
    });
    this.#queue.drain();
    return true;
  }

  #reclaim(containerId: string, reason: string): void {
    const record = this.#byContainer.get(containerId);
    if (record) this.#releaseAllocation(record, reason);
  }
}
