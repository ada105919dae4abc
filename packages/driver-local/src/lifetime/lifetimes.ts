import {
  ensureKeeperProcess,
  FileLifetimeStore,
  keeperProgram,
  type LifetimeSupport,
} from '@berth/core/kit';
import type { LocalDriverOptions } from '../local-driver-options.js';
import type { StateLayout } from '../state/state-layout.js';

/** The options the keeper's own driver is built with: what stop and remove depend on. */
export type KeeperOptions = Pick<
  LocalDriverOptions,
  'stateDir' | 'hostStateDir' | 'isolation' | 'stopTimeout' | 'identityRange'
>;

/**
 * Lifetimes on the local driver: containers outlive the process that made them (their
 * supervisors are detached), so their deadlines are kept by a keeper process of their own,
 * one per state directory, which stops and removes them through a driver on the same state.
 */
export function localLifetimes(options: LocalDriverOptions, layout: StateLayout): LifetimeSupport {
  const input: KeeperOptions = {
    stateDir: layout.root,
    ...(options.hostStateDir === undefined ? {} : { hostStateDir: options.hostStateDir }),
    ...(options.isolation === undefined ? {} : { isolation: { ...options.isolation } }),
    ...(options.stopTimeout === undefined ? {} : { stopTimeout: options.stopTimeout }),
    ...(options.identityRange === undefined ? {} : { identityRange: options.identityRange }),
  };
  return {
    store: new FileLifetimeStore(layout.lifetimes),
    ensureKeeper: () =>
      ensureKeeperProcess({
        dir: layout.keeper,
        script: keeperProgram(import.meta.url, '@berth/driver-local'),
        input,
      }),
  };
}
