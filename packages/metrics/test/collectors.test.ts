import { ConfigurationError } from '@berth/core';
import { MockDockerDriver, MockLocalDriver } from '@berth/driver-mock';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectDriverMetrics } from '../src/index.js';

const MB = 1024 * 1024;

function makeDriver() {
  return new MockDockerDriver({
    programs: { images: { 'app:1': { cpuPercent: 50, memoryMb: 64, pids: 3 } } },
  });
}

/** Every sample line of a scrape, as `name{labels}` → value. */
async function scrape(registry: Registry): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const statsCalls = (driver: MockDockerDriver) =>
  driver.calls.filter((c) => c.operation === 'getContainerStats').length;

describe('collectDriverMetrics', () => {
  it('reports containers by status, health, uptime, volumes and networks', async () => {
    const driver = makeDriver();
    const registry = new Registry();
    collectDriverMetrics(driver, { registry });
    const a = await driver.createContainer({ sessionId: 's1', name: 'a', image: 'app:1' });
    await driver.createContainer({ sessionId: 's1', name: 'b', image: 'app:1' });
    await driver.startContainer(a.id);
    await driver.createVolume({ sessionId: 's1', name: 'v1' });
    await driver.createNetwork({ sessionId: 's1', name: 'n1' });

    const m = await scrape(registry);
    expect(m.get('berth_containers{driver="mock-docker",status="running"}')).toBe(1);
    expect(m.get('berth_containers{driver="mock-docker",status="created"}')).toBe(1);
    expect(m.get('berth_containers{driver="mock-docker",status="exited"}')).toBe(0);
    expect(m.get('berth_driver_healthy{driver="mock-docker"}')).toBe(1);
    expect(m.get('berth_driver_uptime_seconds{driver="mock-docker"}')).toBeGreaterThanOrEqual(0);
    expect(m.get('berth_volumes{driver="mock-docker"}')).toBe(1);
    expect(m.get('berth_networks{driver="mock-docker"}')).toBe(1);
  });

  it('gives running containers cpu, memory, limit and pids, by name and session', async () => {
    const driver = makeDriver();
    const registry = new Registry();
    collectDriverMetrics(driver, { registry });
    const a = await driver.createContainer({
      sessionId: 's1',
      name: 'web',
      image: 'app:1',
      resources: { memory: 256 },
    });
    await driver.startContainer(a.id);
    await driver.createContainer({ sessionId: 's1', name: 'idle', image: 'app:1' });

    const m = await scrape(registry);
    const labels = '{driver="mock-docker",container="web",session="s1"}';
    expect(m.get(`berth_container_cpu_percent${labels}`)).toBe(50);
    expect(m.get(`berth_container_memory_bytes${labels}`)).toBe(64 * MB);
    expect(m.get(`berth_container_memory_limit_bytes${labels}`)).toBe(256 * MB);
    expect(m.get(`berth_container_pids${labels}`)).toBe(3);
    // Not running: no stats series, and no stats call for it.
    expect([...m.keys()].some((k) => k.includes('container="idle"'))).toBe(false);
    expect(statsCalls(driver)).toBe(1);
    expect((await registry.metrics()).includes(a.id)).toBe(false);
  });

  it('reads the driver once per scrape, not once per gauge', async () => {
    const driver = makeDriver();
    const registry = new Registry();
    collectDriverMetrics(driver, { registry });
    await scrape(registry);
    const ops = driver.calls.map((c) => c.operation);
    expect(ops.filter((o) => o === 'listContainers')).toHaveLength(1);
    expect(ops.filter((o) => o === 'healthCheck')).toHaveLength(1);
  });

  it('bounds stats calls by maxContainers and reports the rest as omitted', async () => {
    const driver = makeDriver();
    const registry = new Registry();
    collectDriverMetrics(driver, { registry, maxContainers: 3, staleMs: 0 });
    for (let i = 0; i < 5; i++) {
      const c = await driver.createContainer({ sessionId: 's1', name: `c${i}`, image: 'app:1' });
      await driver.startContainer(c.id);
    }
    driver.calls.length = 0;
    const m = await scrape(registry);
    expect(statsCalls(driver)).toBe(3);
    const series = [...m.keys()].filter((k) => k.startsWith('berth_container_pids{'));
    expect(series.sort()).toEqual(
      ['c0', 'c1', 'c2'].map(
        (n) => `berth_container_pids{driver="mock-docker",container="${n}",session="s1"}`,
      ),
    );
    expect(m.get('berth_container_stats_omitted{driver="mock-docker"}')).toBe(2);
  });

  it('caches stats for staleMs, and drops series of containers that went', async () => {
    const driver = makeDriver();
    const registry = new Registry();
    collectDriverMetrics(driver, { registry, staleMs: 60_000 });
    const c = await driver.createContainer({ sessionId: 's1', name: 'web', image: 'app:1' });
    await driver.startContainer(c.id);
    await scrape(registry);
    await scrape(registry);
    expect(statsCalls(driver)).toBe(1);

    await driver.removeContainer(c.id, { force: true });
    const m = await scrape(registry);
    expect([...m.keys()].some((k) => k.includes('container="web"'))).toBe(false);
  });

  it('keeps at most `concurrency` stats calls in flight', async () => {
    const driver = makeDriver();
    for (let i = 0; i < 10; i++) {
      const c = await driver.createContainer({ sessionId: 's1', name: `c${i}`, image: 'app:1' });
      await driver.startContainer(c.id);
    }
    let inFlight = 0;
    let peak = 0;
    const counting = new Proxy(driver, {
      get(target, property) {
        if (property !== 'getContainerStats') {
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (id: string) => {
          peak = Math.max(peak, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight--;
          return target.getContainerStats(id);
        };
      },
    });
    const registry = new Registry();
    collectDriverMetrics(counting, { registry, concurrency: 3 });
    const m = await scrape(registry);
    expect(peak).toBe(3);
    expect([...m.keys()].filter((k) => k.startsWith('berth_container_pids{'))).toHaveLength(10);
  });

  it('a failing driver leaves gauges empty and health 0, and the scrape still succeeds', async () => {
    const driver = makeDriver();
    const registry = new Registry();
    collectDriverMetrics(driver, { registry });
    driver.faults.failNext('*', 100, () => new Error('down'));
    const m = await scrape(registry);
    expect(m.get('berth_driver_healthy{driver="mock-docker"}')).toBe(0);
    expect([...m.keys()].some((k) => k.startsWith('berth_containers{'))).toBe(false);
  });

  it('collects several drivers on one registry, one metric each, told apart by driver', async () => {
    const docker = makeDriver();
    const local = new MockLocalDriver();
    const registry = new Registry();
    const a = collectDriverMetrics(docker, { registry });
    collectDriverMetrics(local, { registry });
    await docker.createVolume({ sessionId: 's', name: 'v' });
    let m = await scrape(registry);
    expect(m.get('berth_volumes{driver="mock-docker"}')).toBe(1);
    expect(m.get('berth_volumes{driver="mock-local"}')).toBe(0);
    a.unregister();
    a.unregister();
    m = await scrape(registry);
    expect(m.has('berth_volumes{driver="mock-docker"}')).toBe(false);
    expect(m.get('berth_volumes{driver="mock-local"}')).toBe(0);
    // Metrics of that name from something else are never taken over.
    const other = new Registry();
    new Gauge({ name: 'berth_volumes', help: 'not ours', registers: [other] });
    expect(() => collectDriverMetrics(docker, { registry: other })).toThrow(/from something else/);
  });

  it('unregisters, and refuses bad options and a second collector on one registry', () => {
    const driver = makeDriver();
    const registry = new Registry();
    const collector = collectDriverMetrics(driver, { registry });
    expect(() => collectDriverMetrics(driver, { registry })).toThrow(ConfigurationError);
    collector.unregister();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(() => collectDriverMetrics(driver, { registry, maxContainers: -1 })).toThrow(
      ConfigurationError,
    );
    expect(() => collectDriverMetrics(driver, { registry, concurrency: 0 })).toThrow(
      ConfigurationError,
    );
    expect(() => collectDriverMetrics(driver, {} as { registry: Registry })).toThrow(
      ConfigurationError,
    );
  });
});
