/*
 * The engine lists a container's execs (`ExecIDs`) only while they run, and keeps an ended
 * one's inspect for a few minutes more; it has no list of ended ones. So each driver instance
 * remembers the ids it spawned or found, to list them with their exit once they end.
 */

/** Ended processes kept per container: enough for a listing, bounded for a long-lived driver. */
const KEPT_PER_CONTAINER = 256;

export class SpawnRegistry {
  readonly #byContainer = new Map<string, Set<string>>();

  remember(containerId: string, execId: string): void {
    let ids = this.#byContainer.get(containerId);
    if (!ids) {
      ids = new Set();
      this.#byContainer.set(containerId, ids);
    }
    ids.add(execId);
    // Oldest first: a Set keeps insertion order.
    for (const old of ids) {
      if (ids.size <= KEPT_PER_CONTAINER) break;
      ids.delete(old);
    }
  }

  /** The engine no longer knows it (its container went, or it ended long ago). */
  forget(containerId: string, execId: string): void {
    const ids = this.#byContainer.get(containerId);
    ids?.delete(execId);
    if (ids?.size === 0) this.#byContainer.delete(containerId);
  }

  known(containerId: string): string[] {
    return [...(this.#byContainer.get(containerId) ?? [])];
  }
}
