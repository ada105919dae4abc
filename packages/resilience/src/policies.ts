import type { DriverOperation } from '@berth/core';

/** How one operation is retried. */
export interface OperationPolicy {
  /** Retry retryable failures at all. */
  retry: boolean;
  /** Apply the per-attempt timeout (not to calls that legitimately run long). */
  attemptTimeout: boolean;
}

const READ: OperationPolicy = { retry: true, attemptTimeout: true };
const LONG_READ: OperationPolicy = { retry: true, attemptTimeout: false };
const NEVER: OperationPolicy = { retry: false, attemptTimeout: false };

/**
 * Defaults per operation. Creates and removes are retried too, but only made safe first
 * (see with-retry.ts): a create looks for what its failed attempt may have made, a remove
 * treats "already gone" on a later attempt as done. Exec runs user code with side effects and
 * a stream cannot be resumed, so neither is ever retried.
 */
export const DEFAULT_POLICIES: Record<DriverOperation, OperationPolicy> = {
  createContainer: READ,
  startContainer: READ,
  stopContainer: LONG_READ,
  restartContainer: LONG_READ,
  removeContainer: READ,
  getContainer: READ,
  listContainers: READ,
  getContainerLogs: READ,
  streamLogs: NEVER,
  waitContainer: LONG_READ,
  exec: NEVER,
  // A signal twice is two signals (two reloads, say); pause and resume are idempotent.
  signalContainer: NEVER,
  pauseContainer: READ,
  resumeContainer: READ,
  // A spawn starts user code, like exec; finding processes again only reads.
  spawn: NEVER,
  listProcesses: READ,
  attach: READ,
  // Writes take a stream that cannot be replayed; reads can be asked again.
  writeFile: NEVER,
  readFile: READ,
  readFileStream: NEVER,
  listFiles: READ,
  removeFile: READ,
  makeDir: READ,
  upload: NEVER,
  download: NEVER,
  // Twice is twice the extension.
  extendTtl: NEVER,
  getContainerStats: READ,
  healthCheck: READ,
  isContainerHealthy: READ,
  createVolume: READ,
  removeVolume: READ,
  listVolumes: READ,
  createNetwork: READ,
  removeNetwork: READ,
  listNetworks: READ,
  capabilities: READ,
  // Idempotent by definition (what is gone stays gone), but it can take long.
  cleanup: LONG_READ,
};
