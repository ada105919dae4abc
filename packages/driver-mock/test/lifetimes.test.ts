import { ContainerExpiredError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { ManualClock, MockDockerDriver } from '../src/index.js';

const base = { sessionId: 's', image: 'busybox', command: ['sleep', '600'] };

describe('lifetimes on the mock clock', () => {
  it('a ManualClock moves a container past its time to live and idle timeout', async () => {
    const clock = new ManualClock(Date.now());
    const driver = new MockDockerDriver({ clock });
    const ttl = await driver.createContainer({ ...base, lifetime: { ttlMs: 60_000 } });
    const idle = await driver.createContainer({
      ...base,
      lifetime: { idleTimeoutMs: 30_000, onExpiry: 'remove' },
    });
    await driver.startContainer(ttl.id);
    await driver.startContainer(idle.id);
    await clock.advance(29_000);
    await driver.exec(idle.id, ['true']);
    await clock.advance(29_000);
    expect((await driver.getContainer(idle.id))?.status, 'the exec was use').toBe('running');
    await clock.advance(1_500);
    expect((await driver.getContainer(ttl.id))?.status, 'its time to live is not up').toBe(
      'running',
    );
    await clock.advance(1_000);
    expect((await driver.getContainer(ttl.id))?.status).toBe('exited');
    await expect(driver.startContainer(ttl.id)).rejects.toBeInstanceOf(ContainerExpiredError);
    expect(await driver.getContainer(idle.id), 'idle for 30 s: removed').toBeNull();
    await driver.close();
  });
});
