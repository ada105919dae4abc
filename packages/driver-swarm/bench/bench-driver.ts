import { SwarmDriver } from '../dist/index.js';
import { readCluster } from './raw-swarm.ts';

/** The cluster scripts/swarm.sh made, and the driver both benchmarks measure on it. */
export function benchDriver(name: string): {
  cluster: ReturnType<typeof readCluster>;
  driver: SwarmDriver;
} {
  const cluster = readCluster(name);
  const driver = new SwarmDriver({
    manager: { socketPath: cluster.manager.socketPath },
    nodes: cluster.workers.map((w) => ({ socketPath: w.socketPath })),
    // This engine's API (1.41) cannot set no-new-privileges on a service.
    enforcement: 'best-effort',
  });
  return { cluster, driver };
}
