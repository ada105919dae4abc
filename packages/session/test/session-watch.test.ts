import { ManualClock, MockDockerDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { SessionEvents, SessionManager } from '../src/index.js';

describe('a session watching over itself', () => {
  it('restarts a service that dies, and ends the session once its budget is spent', async () => {
    const clock = new ManualClock();
    // The worker crashes a second after every start; the api stays up.
    const driver = new MockDockerDriver({
      clock,
      programs: { images: { 'worker:1': { runMs: 1000, exitCode: 1 } } },
    });
    const events = new SessionEvents();
    const seen: string[] = [];
    for (const name of [
      'container:died',
      'container:restarted',
      'service:failed',
      'session:ended',
    ] as const) {
      events.on(name, (e) => seen.push(`${name} ${'service' in e ? e.service : e.sessionId}`));
    }
    const manager = new SessionManager(driver, { clock, events, readinessPollMs: 10 });
    const starting = manager.start({
      id: 'watched',
      services: {
        api: { config: { image: 'api:1', command: ['sh', '-c', 'sleep 600'] } },
        worker: { config: { image: 'worker:1' } },
      },
    });
    await clock.advance(50);
    const session = await starting;
    session.watch({
      intervalMs: 100,
      backoff: { initialMs: 100, factor: 2, maxMs: 1000 },
      budget: { restarts: 2, windowMs: 60_000 },
      onFailed: 'end-session',
    });
    for (let i = 0; i < 200 && session.ended === undefined; i++) await clock.advance(50);
    expect(session.ended, `ended within 10 s of fake time; events so far: ${seen.join(', ')}`).toBe(
      'failed',
    );
    expect(seen.filter((e) => e === 'container:restarted worker')).toHaveLength(2);
    expect(seen).toContain('service:failed worker');
    expect(seen.at(-1)).toBe('session:ended watched');
    expect(session.ended).toBe('failed');
    expect(await driver.listContainers({ sessionId: 'watched' })).toEqual([]);
    // The api was never taken for dead: its stop at the end came after the monitor stopped.
    expect(seen.filter((e) => e.endsWith(' api'))).toEqual([]);
  });
});
