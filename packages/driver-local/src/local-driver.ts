import { KitDriver } from '@berth/core/kit';
import { LocalEngine } from './engine/local-engine.js';
import type { HostFingerprint } from './host/host-fingerprint.js';
import type { LocalDriverOptions } from './local-driver-options.js';

/**
 * Containers as supervised local processes, sandboxed where the host allows (see the README
 * for what is enforced where). The kit validates every input and decides enforcement; the
 * engine runs them.
 */
export class LocalDriver extends KitDriver {
  readonly #engine: LocalEngine;

  constructor(options: LocalDriverOptions = {}) {
    const engine = new LocalEngine(options);
    super(engine, options.enforcement === undefined ? {} : { enforcement: options.enforcement });
    this.#engine = engine;
  }

  /** The state directory in use. */
  get stateDir(): string {
    return this.#engine.stateDir;
  }

  /** What the host offers and what was found missing, for diagnostics. */
  hostFingerprint(): Promise<HostFingerprint> {
    return this.#engine.hostFingerprint();
  }
}
