import type { MockContainer } from '../engine/mock-state.js';

/** Wakes everyone waiting on the container: followers, waiters. */
export function notify(container: MockContainer): void {
  for (const wake of [...container.watchers]) wake();
}

/** Resolves on the container's next change; rejects when the signal aborts. */
export function changed(container: MockContainer, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      container.watchers.delete(wake);
      reject(signal?.reason);
    };
    const wake = () => {
      container.watchers.delete(wake);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    container.watchers.add(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
