/*
 * The keeper's program: a process of its own that stops or removes containers whose lifetime
 * has run out, so that they do even when the process that made them is gone. Started by the
 * driver (lifetimes.ts) with the engine's connection on stdin; one per state directory.
 */
import { join } from 'node:path';
import { FileLifetimeStore, readKeeperInput, runKeeperProcess } from '@berth/core/kit';
import { DockerDriver } from '../docker-driver.js';
import type { KeeperInput } from './lifetimes.js';

const input = (await readKeeperInput()) as KeeperInput;
const driver = new DockerDriver({ ...input.connection, stateDir: input.stateDir });
await runKeeperProcess(driver, {
  dir: input.stateDir,
  store: new FileLifetimeStore(join(input.stateDir, 'lifetimes')),
  processes: true,
  close: () => driver.close(),
});
// Sockets the engine client keeps alive must not hold the keeper once it is done.
process.exit(0);
