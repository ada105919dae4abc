import type { UnsupportedFeature } from './errors/index.js';
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

export interface TypedEventsOptions<N extends string = string> {
  /**
   * Called when a listener throws. Listeners run after an operation already succeeded, so
   * their failure must not turn that success into an error; by default it becomes a
   * process warning.
   */
  onListenerError?: (error: unknown, event: N) => void;
}

export type BerthEventsOptions = TypedEventsOptions<BerthEventName>;

function reportListenerError(error: unknown, event: string): void {
  const detail = error instanceof Error ? error : new Error(String(error));
  process.emitWarning(detail, { type: 'BerthListenerError', detail: `listener for ${event}` });
}

/** An event emitter whose listeners get payloads typed by event name. */
export class TypedEvents<M extends { [K in keyof M]: unknown }> {
  readonly #listeners = new Map<keyof M, Set<(event: never) => void>>();
  readonly #onListenerError: (error: unknown, event: keyof M & string) => void;

  constructor(options: TypedEventsOptions<keyof M & string> = {}) {
    this.#onListenerError = options.onListenerError ?? reportListenerError;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends keyof M & string>(event: E, listener: (payload: M[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(event, listener);
  }

  once<E extends keyof M & string>(event: E, listener: (payload: M[E]) => void): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off<E extends keyof M & string>(event: E, listener: (payload: M[E]) => void): void {
    this.#listeners.get(event)?.delete(listener as (event: never) => void);
  }

  emit<E extends keyof M & string>(event: E, payload: M[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: M[E]) => void)(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  listenerCount(event: keyof M & string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Resolves with the next matching event; rejects when the signal aborts. */
  waitFor<E extends keyof M & string>(
    event: E,
    options: { filter?: (payload: M[E]) => boolean; signal?: AbortSignal } = {},
  ): Promise<M[E]> {
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

/** The driver events emitter (see withEvents). */
export class BerthEvents extends TypedEvents<BerthEventMap> {}
