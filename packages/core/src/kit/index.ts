/*
 * @berth/core/kit: what a driver author builds on. The contract entry (@berth/core) stays the
 * small thing every user imports; this one holds the machinery drivers share.
 */

// First: on an older Node.js this import throws the one clear error (see ../node-guard.ts).
import '../node-guard.js';

export { matchesContainerFilter, selectLogLines } from '../container-filter.js';
export {
  ensureKeeperProcess,
  type KeeperSpawn,
  keeperProgram,
  keeperRunning,
  type RunKeeperOptions,
  readKeeperInput,
  runKeeperProcess,
} from '../lifetime/keeper-process.js';
export {
  type ExpiryEvent,
  type KeeperDriver,
  type LifetimeClock,
  LifetimeKeeper,
  type LifetimeKeeperOptions,
  systemLifetimeClock,
} from '../lifetime/lifetime-keeper.js';
export { LIFETIME_LABEL, lifetimeState } from '../lifetime/lifetime-state.js';
export {
  FileLifetimeStore,
  type LifetimeRecord,
  type LifetimeStore,
  MemoryLifetimeStore,
} from '../lifetime/lifetime-store.js';
export {
  createProcessHandle,
  type HandleOptions,
  type ProcessSource,
} from '../process/process-handle.js';
export type { ParsedSpawnOptions } from '../process/spawn-options.js';
export {
  cleanupMatches,
  parseCleanupFilter,
  parseRemoveOptions,
  parseStopOptions,
} from './call-options.js';
export { abortableSleep, CallSignal } from './call-signal.js';
export { defineDriver } from './define-driver.js';
export { KitDriver } from './kit-driver.js';
export {
  BERTH_LABELS,
  berthLabels,
  isManaged,
  type LabelOwner,
  RESERVED_LABEL_PREFIX,
  readUnenforced,
  userLabels,
} from './labels.js';
export type {
  CreateContext,
  DriverPolicy,
  DriverPrimitives,
  LifetimeSupport,
  ParsedExecOptions,
  ParsedLogOptions,
  ParsedRemoveOptions,
  ParsedStopOptions,
  PrimitiveCapabilities,
  PrimitiveContext,
  TimedOperation,
} from './primitives.js';
export { networkEnforcement, volumeEnforcement } from './resource-enforcement.js';
