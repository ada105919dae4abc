import { MockDockerDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { ResourcePool, SessionManager } from '../src/index.js';

const service = (cpu: number) => ({
  config: { image: 'x', command: ['sh', '-c', 'sleep 600'], resources: { cpu, memory: 256 } },
});

describe('SessionManager drawing from a ResourcePool', () => {
  it('refuses a session that does not fit before making anything, and gives back what one held', async () => {
    const driver = new MockDockerDriver();
    const pool = new ResourcePool({ capacity: { cpu: 2, memoryMb: 2048 } });
    const manager = new SessionManager(driver, { pool });
    const first = await manager.start({ id: 'fits', services: { a: service(1), b: service(0.5) } });
    expect(pool.state().available).toMatchObject({ cpu: 0.5, memoryMb: 1536 });
    const refused = await manager
      .start({ id: 'too-big', services: { a: service(1) } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'RESOURCE_LIMIT_EXCEEDED', resource: 'cpu' });
    expect(driver.calls.filter((c) => c.operation === 'createContainer')).toHaveLength(2);
    await first.end();
    expect(pool.state().available).toMatchObject({ cpu: 2, memoryMb: 2048 });
    expect(pool.state().allocations).toEqual([]);
    expect(pool.state().reservations).toEqual([]);
  });
});
