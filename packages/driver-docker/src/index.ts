import type { DriverFactory } from '@berth/core';
import { DockerDriver, type DockerDriverOptions } from './docker-driver.js';

export type {
  DockerConnectionOptions,
  DockerDriverOptions,
  LogBuffers,
} from './docker-driver.js';
export { DockerDriver } from './docker-driver.js';
export { LABEL as BERTH_LABELS } from './labels.js';

/** Picked up by `createDriver('docker')` in @berth/core. */
export const berthDrivers: Record<'docker', DriverFactory> = {
  docker: (options) => new DockerDriver(options as DockerDriverOptions),
};
