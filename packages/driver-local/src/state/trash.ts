import { randomUUID } from 'node:crypto';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Removed directories are deleted this long after removal, a few ms at a time. */
const TRASH_DELAY_MS = 100;
const TRASH_SLICE_MS = 5;

/**
 * Where removed containers' (and discarded spare or warm) directories go: a rename makes them
 * vanish at once, and they are deleted a little later, in batches of a few milliseconds, so the
 * deleting runs while the driver is idle rather than inside the next operations. What a dying
 * process leaves here, the next driver on the stateDir deletes when it starts.
 */
export class Trash {
  readonly #dir: string;
  readonly #queue: string[] = [];
  #sweep: NodeJS.Timeout | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Renames `path` into the trash and queues it for deletion; returns its new path. */
  take(path: string, label = 'spare'): string {
    const trashed = join(this.#dir, `${label}.${randomUUID()}`);
    renameSync(path, trashed);
    this.#queue.push(trashed);
    this.#schedule();
    return trashed;
  }

  /** Queues everything in the trash: what an earlier driver left. */
  takeLeftovers(): void {
    try {
      for (const name of readdirSync(this.#dir)) this.#queue.push(join(this.#dir, name));
    } catch {
      // No trash directory yet: nothing to delete.
    }
    this.#schedule();
  }

  /** Deletes everything queued now (the driver is closing). */
  close(): void {
    clearTimeout(this.#sweep);
    this.#delete(Number.POSITIVE_INFINITY);
  }

  #schedule(): void {
    if (this.#queue.length > 0 && !this.#sweep) {
      this.#sweep = setTimeout(() => this.#delete(TRASH_SLICE_MS), TRASH_DELAY_MS);
    }
  }

  /**
   * Deletes queued trash for up to `budgetMs`, then yields and carries on. Synchronous rmSync:
   * a quarter of the CPU of the promise-based rm, which walks the tree through the thread pool.
   */
  #delete(budgetMs: number): void {
    this.#sweep = undefined;
    const until = performance.now() + budgetMs;
    while (performance.now() < until) {
      const path = this.#queue.shift();
      if (path === undefined) return;
      try {
        rmSync(path, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Left for the next driver on this stateDir, which tries again at startup.
      }
    }
    if (this.#queue.length > 0) this.#sweep = setTimeout(() => this.#delete(TRASH_SLICE_MS), 0);
  }
}
