import type { UnsupportedFeature } from './errors.js';
import type { ContainerInstance, Network, Volume } from './types.js';

interface EventBase {
  /** Name of the driver the event came from. */
  driver: string;
  at: Date;
}

interface ContainerEvent extends EventBase {
  containerId: string;
}

export interface BerthEventMap {
  'container:created': EventBase & { container: ContainerInstance };
  'container:started': ContainerEvent;
  'container:stopped': ContainerEvent;
  'container:restarted': ContainerEvent;
  'container:removed': ContainerEvent;
  'container:healthy': ContainerEvent;
  'container:unhealthy': ContainerEvent;
  /** The main process ended on its own (not through stopContainer). */
  'container:died': ContainerEvent & { exitCode: number; oomKilled: boolean };
  'volume:created': EventBase & { volume: Volume };
  'volume:removed': EventBase & { volumeId: string };
  'network:created': EventBase & { network: Network };
  'network:removed': EventBase & { networkId: string };
  'driver:warning': EventBase & {
    message: string;
    containerId?: string;
    unenforced?: UnsupportedFeature[];
  };
}

export type BerthEventName = keyof BerthEventMap;
export type BerthEventListener<E extends BerthEventName> = (event: BerthEventMap[E]) => void;

export interface BerthEventsOptions {
  /**
   * Called when a listener throws. Listeners run after an operation already succeeded, so
   * their failure must not turn that success into an error; by default it becomes a
   * process warning.
   */
  onListenerError?: (error: unknown, event: BerthEventName) => void;
}

function reportListenerError(error: unknown, event: BerthEventName): void {
  const detail = error instanceof Error ? error : new Error(String(error));
  process.emitWarning(detail, { type: 'BerthListenerError', detail: `listener for ${event}` });
}

/** A typed event emitter: listeners get payloads typed by event name. */
export class BerthEvents {
  readonly #listeners = new Map<BerthEventName, Set<(event: never) => void>>();
  readonly #onListenerError: (error: unknown, event: BerthEventName) => void;

  constructor(options: BerthEventsOptions = {}) {
    this.#onListenerError = options.onListenerError ?? reportListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends BerthEventName>(event: E, listener: BerthEventListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(event, listener);
  }

  once<E extends BerthEventName>(event: E, listener: BerthEventListener<E>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off<E extends BerthEventName>(event: E, listener: BerthEventListener<E>): void {
    this.#listeners.get(event)?.delete(listener as (event: never) => void);
  }

  emit<E extends BerthEventName>(event: E, payload: BerthEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as BerthEventListener<E>)(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  listenerCount(event: BerthEventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Resolves with the next matching event; rejects when the signal aborts. */
  waitFor<E extends BerthEventName>(
    event: E,
    options: { filter?: (payload: BerthEventMap[E]) => boolean; signal?: AbortSignal } = {},
  ): Promise<BerthEventMap[E]> {
    const { filter, signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        off();
        reject(signal?.reason);
      };
      const off = this.on(event, (payload) => {
        if (filter && !filter(payload)) return;
        off();
        signal?.removeEventListener('abort', onAbort);
        resolve(payload);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
