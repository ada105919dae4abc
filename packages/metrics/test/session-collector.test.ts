import { ConfigurationError } from '@berth/core';
import { MockDockerDriver, withFaults } from '@berth/driver-mock';
import { ResourcePool, SessionEvents, SessionManager } from '@berth/session';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectDriverMetrics, collectSessionMetrics } from '../src/index.js';

async function scrape(registry: Registry): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const spec = (id: string) => ({
  id,
  services: { app: { config: { image: 'app', command: ['sh', '-c', 'sleep 600'] } } },
});

describe('collectSessionMetrics', () => {
  it('counts sessions started, active, ended by reason and rolled back', async () => {
    const events = new SessionEvents();
    const registry = new Registry();
    collectSessionMetrics(events, { registry });
    const mock = new MockDockerDriver();
    const faulty = withFaults(mock);
    const manager = new SessionManager(faulty, { events });

    const one = await manager.start(spec('one'));
    await manager.start(spec('two'));
    let m = await scrape(registry);
    expect(m.get('berth_sessions_started_total{driver="mock-docker"}')).toBe(2);
    expect(m.get('berth_sessions_active{driver="mock-docker"}')).toBe(2);
    expect(m.get('berth_sessions_ended_total{driver="mock-docker",reason="ended"}')).toBe(0);

    await one.end();
    faulty.faults.failNext('startContainer', 1, () => new Error('engine refused'));
    await expect(manager.start(spec('three'))).rejects.toThrow();
    m = await scrape(registry);
    expect(m.get('berth_sessions_active{driver="mock-docker"}')).toBe(1);
    expect(m.get('berth_sessions_ended_total{driver="mock-docker",reason="ended"}')).toBe(1);
    expect(m.get('berth_sessions_ended_total{driver="mock-docker",reason="ttl"}')).toBe(0);
    expect(m.get('berth_sessions_rolled_back_total{driver="mock-docker"}')).toBe(1);
    expect(m.get('berth_sessions_started_total{driver="mock-docker"}')).toBe(2);
  });

  it("reads a pool's capacity, allocations, reservations and waiters on scrape", async () => {
    const registry = new Registry();
    const pool = new ResourcePool({ capacity: { cpu: 4, memoryMb: 1024 } });
    collectSessionMetrics(new SessionEvents(), { registry, pool });
    await pool.allocate('a', { cpu: 1, memoryMb: 256 });
    await pool.reserve('b', { cpu: 2 });
    const waiting = pool.reserve('c', { cpu: 4 }, { wait: true, timeoutMs: 60_000 });
    const m = await scrape(registry);
    expect(m.get('berth_pool_capacity{resource="cpu"}')).toBe(4);
    expect(m.get('berth_pool_capacity{resource="memoryMb"}')).toBe(1024);
    expect(m.has('berth_pool_capacity{resource="pids"}')).toBe(false);
    expect(m.get('berth_pool_allocated{resource="cpu"}')).toBe(1);
    expect(m.get('berth_pool_allocated{resource="memoryMb"}')).toBe(256);
    expect(m.get('berth_pool_reserved{resource="cpu"}')).toBe(2);
    expect(m.get('berth_pool_waiting')).toBe(1);
    for (const held of pool.state().allocations) pool.release(held.id);
    for (const held of pool.state().reservations) pool.release(held.id);
    (await waiting).release();
  });

  it('unregister stops counting and frees the names', async () => {
    const events = new SessionEvents();
    const registry = new Registry();
    const collector = collectSessionMetrics(events, { registry });
    collector.unregister();
    expect((await registry.metrics()).trim()).toBe('');
    await new SessionManager(new MockDockerDriver(), { events }).start(spec('after'));
    expect((await registry.metrics()).trim()).toBe('');
    expect(() => collectSessionMetrics(events, { registry })).not.toThrow();
    expect(() => collectSessionMetrics(events, { registry })).toThrow(ConfigurationError);
  });

  it('refuses what is not SessionEvents, a registry or a pool', () => {
    const registry = new Registry();
    expect(() => collectSessionMetrics({} as never, { registry })).toThrow(ConfigurationError);
    expect(() => collectSessionMetrics(new SessionEvents(), {} as never)).toThrow(/registry/);
    expect(() =>
      collectSessionMetrics(new SessionEvents(), { registry, pool: {} as never }),
    ).toThrow(/pool must be a ResourcePool/);
  });
});

describe('collectDriverMetrics sessions and disk', () => {
  it('counts distinct sessions among listed containers and reports disk where measured', async () => {
    const driver = new MockDockerDriver({
      programs: { images: { disky: { diskMb: 3 }, plain: {} } },
    });
    const registry = new Registry();
    collectDriverMetrics(driver, { registry });
    const a = await driver.createContainer({ sessionId: 's1', name: 'a', image: 'disky' });
    const b = await driver.createContainer({ sessionId: 's1', name: 'b', image: 'plain' });
    await driver.createContainer({ sessionId: 's2', name: 'c', image: 'plain' });
    await driver.startContainer(a.id);
    await driver.startContainer(b.id);
    const m = await scrape(registry);
    expect(m.get('berth_sessions{driver="mock-docker"}')).toBe(2);
    expect(
      m.get('berth_container_disk_bytes{driver="mock-docker",container="a",session="s1"}'),
    ).toBe(3 * 1024 * 1024);
    // Not measured is no series, not a 0 that reads as an empty disk.
    expect([...m.keys()].some((k) => k.includes('disk_bytes') && k.includes('"b"'))).toBe(false);
  });
});

describe('collectDriverMetrics container health', () => {
  it('counts running containers by health state, every state present', async () => {
    const driver = new MockDockerDriver({
      programs: { images: { ok: { health: [true] }, sick: { health: [false] }, plain: {} } },
    });
    const registry = new Registry();
    collectDriverMetrics(driver, { registry });
    for (const [name, image] of [
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'sick'],
      ['d', 'plain'],
    ]) {
      const c = await driver.createContainer({ sessionId: 's', name, image: image as string });
      await driver.startContainer(c.id);
    }
    await driver.createContainer({ sessionId: 's', name: 'idle', image: 'ok' });
    const m = await scrape(registry);
    const at = (health: string) =>
      m.get(`berth_containers_by_health{driver="mock-docker",health="${health}"}`);
    expect(at('healthy')).toBe(2);
    expect(at('unhealthy')).toBe(1);
    expect(at('none')).toBe(1);
    expect(at('starting')).toBe(0);
  });
});
