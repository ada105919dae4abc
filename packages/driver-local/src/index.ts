import { LocalDriver, type LocalDriverOptions } from './local-driver.js';

export type { HostFingerprint, IsolationSettings } from './host-fingerprint.js';
export type { IdentityRange } from './identities.js';
export {
  type CleanupFilter,
  type CleanupResult,
  LocalDriver,
  type LocalDriverOptions,
} from './local-driver.js';

/** Lets `createDriver('local', options)` from @berth/core find this driver. */
export const berthDrivers = {
  local: (options?: Record<string, unknown>) => new LocalDriver(options as LocalDriverOptions),
};
