/*
 * The keeper's program: a process of its own that stops or removes containers whose lifetime
 * has run out, so that they do even when the process that made them is gone. Started by the
 * driver (lifetimes.ts) with the driver's options on stdin; one per state directory.
 */
import { join } from 'node:path';
import { FileLifetimeStore, readKeeperInput, runKeeperProcess } from '@berth/core/kit';
import { LocalDriver } from '../local-driver.js';
import type { KeeperOptions } from './lifetimes.js';

const options = (await readKeeperInput()) as KeeperOptions & { stateDir: string };
// Nothing kept ready: the keeper only stops and removes.
const driver = new LocalDriver({ ...options, warmSandboxes: 0, idleSupervisors: 0 });
await runKeeperProcess(driver, {
  dir: join(options.stateDir, 'keeper'),
  store: new FileLifetimeStore(join(options.stateDir, 'lifetimes')),
  processes: true,
  close: () => driver.close(),
});
process.exit(0);
