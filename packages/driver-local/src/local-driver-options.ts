import type { EnforcementMode } from '@berth/core';
import type { execa } from 'execa';
import type { IsolationSettings } from './host/host-fingerprint.js';
import type { IdentityRange } from './isolation/identities.js';

export interface LocalDriverOptions {
  /** Where containers, logs, volumes and networks are kept. Default: `<cache dir>/berth/local`. */
  stateDir?: string;
  /** Host directories bind-mount sources must resolve into. Default: none (no bind mounts). */
  allowedRoots?: string[];
  /** `strict` (default) refuses configs asking for what this host cannot enforce. */
  enforcement?: EnforcementMode;
  /** Host mechanisms to use; each defaults to "if this host has it and it works". */
  isolation?: IsolationSettings;
  /** Names of the driver's own environment variables passed on to containers. Default: none. */
  inheritEnv?: string[];
  /** Seconds between SIGTERM and SIGKILL when stopContainer is given no timeout. Default: 10. */
  stopTimeout?: number;
  /** Idle supervisor processes kept ready for the next start. Default: 2. */
  idleSupervisors?: number;
  /** Containers one supervisor process runs at once. Default: 16. */
  containersPerSupervisor?: number;
  /**
   * Sandboxes kept built ahead of time for the next containers, shaped like the latest one
   * (see the README, "Warm sandboxes"). 0 builds every sandbox on start. Default: 2.
   */
  warmSandboxes?: number;
  /**
   * uids (and gids) handed to containers that keep the default user, one of its own each.
   * Default: 1 000 000 from 2 000 000 000. Containers that name a user may not name one in it.
   */
  identityRange?: IdentityRange;
  /**
   * Host-wide state shared by every driver on the host: the registry of identities handed out
   * (`identities/`, so that no two containers, whatever their stateDir, get the same one) and
   * the sandbox's /etc (`etc/`). Default: /var/lib/berth as root, `<stateDir>/host` otherwise.
   */
  hostStateDir?: string;
  /** The execa function (injectable for tests). */
  execa?: typeof execa;
}

/** What `cleanup` removes: a session's objects, or with `all: true` everything in the stateDir. */
export type CleanupFilter = { sessionId: string; all?: never } | { all: true; sessionId?: never };

export interface CleanupResult {
  containers: number;
  volumes: number;
  networks: number;
}
