// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

import type { DriverEntry, OptionKeys } from '@berth/core';
import { DockerDriver, type DockerDriverOptions } from './docker-driver.js';
import { pingDockerEngine } from './engine/ping.js';

export type {
  DockerDriverOptions,
  LogBuffers,
} from './docker-driver.js';
export { DockerDriver } from './docker-driver.js';
export type {
  DockerClient,
  DockerConnectionOptions,
  DockerDialRequest,
} from './engine/connection.js';
export { engineAddress, type PingOptions, pingDockerEngine } from './engine/ping.js';
export { LABEL as BERTH_LABELS } from './mapping/labels.js';

// Typed as the options interface's keys, so a new option cannot be forgotten here.
const OPTIONS: OptionKeys<DockerDriverOptions> = {
  socketPath: true,
  host: true,
  port: true,
  protocol: true,
  ca: true,
  cert: true,
  key: true,
  timeout: true,
  version: true,
  enforcement: true,
  labels: true,
  docker: true,
  logDriver: true,
  logOptions: true,
  init: true,
  allowRoot: true,
  allowedRoots: true,
  allowNetworks: true,
  stateDir: true,
};

/** Picked up by `createDriver('docker')` in @berth/core, and by its detectDriver(). */
export const berthDrivers: { docker: DriverEntry<DockerDriverOptions> } = {
  docker: {
    create: (options) => new DockerDriver(options),
    options: OPTIONS,
    // An engine answering where the driver would connect: the given address, else DOCKER_HOST,
    // else the default socket. A ready client was connected by whoever gave it.
    probe: ({ options, timeoutMs }) =>
      options.docker !== undefined || pingDockerEngine({ ...options, timeoutMs }),
  },
};

declare module '@berth/core' {
  interface DriverOptionsByName {
    docker: DockerDriverOptions;
  }
}
