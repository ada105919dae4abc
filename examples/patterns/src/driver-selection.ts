/**
 * Driver selection. Several drivers are configured, each with its own limits and
 * its host's capabilities; every request lands on the first preferred driver that can run it
 * as asked, and one that fits none is refused with each driver's reason.
 *
 * Run: node src/driver-selection.ts
 */
import type { ContainerConfigInput } from '@berth/core';
import { MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { DriverSelector, NoDriverFitsError, type SelectOptions } from '@berth/session';

// A local sandbox: quick, small, and on this host unable to make a read-only root filesystem.
const local = new MockLocalDriver({ capabilities: { readOnlyRootfs: false } });
// A Docker engine: bigger containers, everything enforced.
const docker = new MockDockerDriver();
// A second engine whose host cannot be reached right now.
const remote = new MockDockerDriver();
remote.faults.down();

const selector = new DriverSelector(
  [
    { name: 'docker', driver: docker, limits: { cpu: 4, memoryMb: 8192 } },
    { name: 'remote', driver: remote, limits: { cpu: 16, memoryMb: 65_536 } },
    { name: 'local', driver: local, limits: { cpu: 2, memoryMb: 2048 } },
  ],
  // The cheap one first; the rest in the order given.
  { preference: ['local'] },
);
console.log(`order: ${selector.order.join(', ')}`);

async function place(label: string, extra: Partial<ContainerConfigInput>, options?: SelectOptions) {
  const config: ContainerConfigInput = { sessionId: 'select-demo', image: 'alpine:3', ...extra };
  try {
    const chosen = await selector.select(config, options);
    const container = await chosen.driver.createContainer(chosen.config);
    const passedOver = chosen.skipped.map((s) => `${s.name}: ${s.reasons.join('; ')}`);
    console.log(
      `${label} -> ${chosen.name}${passedOver.length ? ` (passed over ${passedOver.join(', ')})` : ''}`,
    );
    await chosen.driver.removeContainer(container.id, { force: true });
  } catch (error) {
    if (!NoDriverFitsError.isInstance(error)) throw error;
    console.log(`${label} -> no driver (retryable: ${error.retryable})`);
    console.log(error.message);
  }
}

await place('scratch build, writable root, 1 core', {
  resources: { cpu: 1, memory: 512 },
  security: { readOnly: false },
});
await place('service, read-only root (the default)', { resources: { cpu: 1, memory: 512 } });
await place('writable root, 3 cores', {
  resources: { cpu: 3, memory: 1024 },
  security: { readOnly: false },
});
await place(
  'isolated network needed',
  { security: { readOnly: false } },
  { needs: { networks: 'isolated' } },
);
await place('8 cores', { resources: { cpu: 8, memory: 4096 } });
