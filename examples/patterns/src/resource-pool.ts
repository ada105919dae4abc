/**
 * A resource pool. Containers of any driver share a fixed capacity; a request past
 * what is free is refused with the reason, or waits its turn, and a container's share comes
 * back by itself when the driver reports it removed.
 *
 * Run: node src/resource-pool.ts
 */
import { BerthEvents, type ContainerConfigInput, withEvents, wrapDriver } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { amountsOf, type PoolState, ResourcePool, SessionEvents } from '@berth/session';

// withEvents turns the driver's operations into events the pool reclaims capacity on.
const driverEvents = new BerthEvents();
const driver = wrapDriver(new MockDockerDriver(), withEvents(driverEvents));

const poolEvents = new SessionEvents();
poolEvents.on('pool:allocated', (e) =>
  console.log(`event: ${e.allocationId} allocated to ${e.owner}`),
);
poolEvents.on('pool:released', (e) =>
  console.log(`event: ${e.allocationId} of ${e.owner} released (${e.reason})`),
);

const pool = new ResourcePool({ capacity: { cpu: 2, memoryMb: 2048 }, events: poolEvents });
const stopTracking = pool.track(driverEvents);

const cores = (n: number) => `${n} core${n === 1 ? '' : 's'}`;

function config(name: string, cpu: number, memory: number): ContainerConfigInput {
  return { sessionId: 'pool-demo', name, image: 'alpine:3', resources: { cpu, memory } };
}

/** Holds the share first, then makes the container: nothing runs beyond the pool. */
async function run(owner: string, wanted: ContainerConfigInput, wait = false) {
  const allocation = await pool.allocate(owner, amountsOf(wanted), { wait });
  try {
    const container = await driver.createContainer(wanted);
    allocation.bind(container.id);
    await driver.startContainer(container.id);
    console.log(
      `${wanted.name} runs with ${cores(allocation.amounts.cpu)}, ${allocation.amounts.memoryMb} MB (for ${owner})`,
    );
    return container;
  } catch (error) {
    // Not made (or not started): its share goes back rather than staying held for nothing.
    allocation.release('container not started');
    throw error;
  }
}

function show(state: PoolState) {
  const { available, allocated } = state;
  console.log(
    `state: ${cores(available.cpu)} and ${available.memoryMb} MB free, ${cores(allocated.cpu)} and ${allocated.memoryMb} MB allocated`,
  );
  for (const a of state.allocations) {
    console.log(`  ${a.id} ${a.owner}: ${cores(a.amounts.cpu)}, ${a.amounts.memoryMb} MB`);
  }
}

const web = await run('shop', config('web', 1, 1024));
const worker = await run('shop', config('worker', 0.5, 512));
show(pool.state());

// One more core is more than is free: refused at once, with what was short.
try {
  await run('reports', config('batch', 1, 256));
} catch (error) {
  console.log(`refused: ${(error as Error).message}`);
}

// The same request, waiting: it gets the core when the web container is removed.
const batch = run('reports', config('batch', 1, 256), true);
console.log(
  `waiting: ${pool
    .state()
    .waiting.map((w) => w.owner)
    .join(', ')}`,
);
await driver.removeContainer(web.id, { force: true });
const batchContainer = await batch;
show(pool.state());

// Removing the rest gives everything back: nothing is left held.
for (const container of [worker, batchContainer]) {
  await driver.removeContainer(container.id, { force: true });
}
stopTracking();
const end = pool.state();
console.log(
  `end: ${cores(end.available.cpu)} and ${end.available.memoryMb} MB free, ${end.allocations.length} allocations left`,
);
