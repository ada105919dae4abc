// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

import type { DriverEntry, OptionKeys } from '@berth/core';
import { LocalDriver } from './local-driver.js';
import type { LocalDriverOptions } from './local-driver-options.js';

export { UnsafeFileError, type UnsafeReason } from './files/file-errors.js';
export type { HostFingerprint, IsolationSettings } from './host/host-fingerprint.js';
export type { IdentityRange } from './isolation/identities.js';
export { LocalDriver } from './local-driver.js';
export type { CleanupFilter, CleanupResult, LocalDriverOptions } from './local-driver-options.js';

// Typed as the options interface's keys: adding an option there without listing it here is a
// type error, so the registry never refuses a real option.
const OPTIONS: OptionKeys<LocalDriverOptions> = {
  stateDir: true,
  allowedRoots: true,
  enforcement: true,
  isolation: true,
  inheritEnv: true,
  stopTimeout: true,
  idleSupervisors: true,
  containersPerSupervisor: true,
  warmSandboxes: true,
  identityRange: true,
  hostStateDir: true,
  execa: true,
};

/** Lets `createDriver('local', options)` from @berth/core find this driver. */
export const berthDrivers: { local: DriverEntry<LocalDriverOptions> } = {
  local: {
    create: (options) => new LocalDriver(options),
    options: OPTIONS,
    // Processes on this host are what the driver runs; it supervises them on Linux and macOS.
    probe: () => process.platform === 'linux' || process.platform === 'darwin',
  },
};

declare module '@berth/core' {
  interface DriverOptionsByName {
    local: LocalDriverOptions;
  }
}
