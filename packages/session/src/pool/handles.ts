import { fromUnits, type ResourceAmounts, type ResourceRequest, type Units } from './amounts.js';

/** A reservation as the pool keeps it; the handle reads it, only the pool changes it. */
export interface ReservationRecord {
  readonly id: string;
  readonly owner: string;
  held: Units;
  released: boolean;
}

/** An allocation as the pool keeps it. After release only its handle still refers to it. */
export interface AllocationRecord {
  readonly id: string;
  readonly owner: string;
  readonly units: Units;
  containerId?: string;
  releasedBecause?: string;
}

/** What the pool lets its handles do: every change goes through the pool's accounting. */
export interface PoolLedger {
  allocateFrom(
    record: ReservationRecord,
    containerId: string,
    amounts: ResourceRequest,
  ): Allocation;
  releaseReservation(record: ReservationRecord): boolean;
  bind(record: AllocationRecord, containerId: string): void;
  releaseAllocation(record: AllocationRecord, reason: string): boolean;
}

/**
 * Capacity held for one owner and not yet given to a container: allocate parts of it as the
 * containers are made, then release the rest. Disposable: `using reservation = await …`.
 */
export class Reservation {
  readonly #ledger: PoolLedger;
  readonly #record: ReservationRecord;

  /** @internal Made by ResourcePool.reserve. */
  constructor(ledger: PoolLedger, record: ReservationRecord) {
    this.#ledger = ledger;
    this.#record = record;
  }

  get id(): string {
    return this.#record.id;
  }

  get owner(): string {
    return this.#record.owner;
  }

  /** What it still holds unallocated (zeros once released). */
  get held(): ResourceAmounts {
    return fromUnits(this.#record.held);
  }

  get released(): boolean {
    return this.#record.released;
  }

  /**
   * Moves `amounts` of what it holds to an allocation bound to `containerId`. More than it
   * still holds is a PoolLimitError; the allocation is released on its own, not with this.
   */
  allocate(containerId: string, amounts: ResourceRequest): Allocation {
    return this.#ledger.allocateFrom(this.#record, containerId, amounts);
  }

  /** Gives back what is still unallocated. Idempotent: false when already released. */
  release(): boolean {
    return this.#ledger.releaseReservation(this.#record);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Capacity given to one container (once bound). Released by `release()`, by
 * `pool.release(id or container id)`, or by the pool itself when a tracked driver reports the
 * container removed or dead.
 */
export class Allocation {
  readonly #ledger: PoolLedger;
  readonly #record: AllocationRecord;

  /** @internal Made by the pool. */
  constructor(ledger: PoolLedger, record: AllocationRecord) {
    this.#ledger = ledger;
    this.#record = record;
  }

  get id(): string {
    return this.#record.id;
  }

  get owner(): string {
    return this.#record.owner;
  }

  /** What it holds (what it held, once released). */
  get amounts(): ResourceAmounts {
    return fromUnits(this.#record.units);
  }

  /** The container it is bound to, if bound. */
  get containerId(): string | undefined {
    return this.#record.containerId;
  }

  get released(): boolean {
    return this.#record.releasedBecause !== undefined;
  }

  /** Why it was released (`'released'`, `'container … removed'`, …); undefined while held. */
  get releaseReason(): string | undefined {
    return this.#record.releasedBecause;
  }

  /**
   * Binds it to the container it was made for, so the container's removal or death gives it
   * back. Binding again to the same container does nothing; to another is a ConflictError.
   */
  bind(containerId: string): this {
    this.#ledger.bind(this.#record, containerId);
    return this;
  }

  /** Gives it back to the pool. Idempotent: false when already released. */
  release(reason = 'released'): boolean {
    return this.#ledger.releaseAllocation(this.#record, reason);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
