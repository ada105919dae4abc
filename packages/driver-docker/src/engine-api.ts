// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

/*
 * `@berth/driver-docker/engine`: the Engine API layer under the Docker driver, for Berth drivers
 * built on a Docker engine of their own (`@berth/driver-swarm` runs its exec, stats, files and
 * processes on the engine of the node a task landed on). Not needed to use the Docker driver.
 */

export type { DockerDriverOptions as EngineOptions } from './docker-driver.js';
export type { EngineRequest } from './engine/client.js';
export { DockerEngine as ContainerEngine } from './engine/docker-engine.js';
export {
  type EngineOperation,
  engineMessage,
  mapEngineError,
  statusOf,
} from './engine/error-mapping.js';
export { EngineSession } from './engine/session.js';
export { labelFilter, ownedBy } from './mapping/labels.js';
export {
  type EngineNetwork,
  type EngineVolume,
  toNetwork,
  toVolume,
} from './mapping/volume-network.js';
