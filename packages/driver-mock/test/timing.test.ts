import { describe, expect, it } from 'vitest';
import { ManualClock, MockDockerDriver, MockLocalDriver } from '../src/index.js';
import { fakeDuration } from './support.js';

describe('timing profiles', () => {
  it('instant (the default) resolves without waiting for the clock', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const c = await driver.createContainer({ sessionId: 's', image: 'i' });
    expect(c.id).toHaveLength(64);
    expect(clock.pending).toBe(0);
  });

  it('realistic: mock-docker takes 100–200 ms per operation, mock-local 200–300 ms', async () => {
    for (const [Driver, min, max] of [
      [MockDockerDriver, 100, 200],
      [MockLocalDriver, 200, 300],
    ] as const) {
      const clock = new ManualClock();
      const driver = new Driver({ clock, timing: 'realistic', seed: 7 });
      const durations: number[] = [];
      for (let i = 0; i < 10; i++)
        durations.push(await fakeDuration(clock, driver.listContainers()));
      for (const d of durations) {
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max + 10);
      }
      expect(new Set(durations).size).toBeGreaterThan(1);
    }
  });

  it('a custom range is honoured', async () => {
    const clock = new ManualClock();
    const driver = new MockLocalDriver({ clock, timing: { minMs: 500, maxMs: 500 } });
    expect(await fakeDuration(clock, driver.healthCheck())).toBe(500);
  });

  it('the same seed gives the same ids and latencies', async () => {
    const run = async () => {
      const clock = new ManualClock();
      const driver = new MockDockerDriver({ clock, timing: 'realistic', seed: 42 });
      const op = driver.createContainer({ sessionId: 's', image: 'i' });
      const took = await fakeDuration(clock, op);
      return [(await op).id, took];
    };
    expect(await run()).toEqual(await run());
  });

  it('container programs run on the injected clock', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const c = await driver.createContainer({
      sessionId: 's',
      image: 'i',
      command: ['sh', '-c', 'echo start; sleep 5; echo done'],
    });
    await driver.startContainer(c.id);
    await clock.advance(0);
    expect(await driver.getContainerLogs(c.id)).toBe('start\n');
    await clock.advance(4_999);
    expect((await driver.getContainer(c.id))?.status).toBe('running');
    await clock.advance(1);
    expect(await driver.getContainerLogs(c.id)).toBe('start\ndone\n');
    expect(await driver.getContainer(c.id)).toMatchObject({ status: 'exited', exitCode: 0 });
  });

  it('an aborted signal cancels a pending operation', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock, timing: 'realistic' });
    const controller = new AbortController();
    const pending = driver.createContainer(
      { sessionId: 's', image: 'i' },
      { signal: controller.signal },
    );
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    const listing = driver.listContainers();
    await clock.advance(1000);
    expect(await listing).toEqual([]);
    expect(driver.calls[0]).toMatchObject({ operation: 'createContainer', outcome: 'error' });
  });
});
