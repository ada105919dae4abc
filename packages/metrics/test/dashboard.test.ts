import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MockDockerDriver } from '@berth/driver-mock';
import { ResourcePool, SessionEvents } from '@berth/session';
import { describe, expect, it } from 'vitest';
import { collectDriverMetrics, collectSessionMetrics, withMetrics } from '../src/index.js';

const path = fileURLToPath(new URL('../dashboards/berth.json', import.meta.url));
const dashboard = JSON.parse(readFileSync(path, 'utf8')) as {
  uid: string;
  templating: { list: { name: string }[] };
  panels: { type: string; title: string; gridPos: object; targets?: { expr: string }[] }[];
};

describe('the Grafana dashboard', () => {
  it('queries only metrics this package registers', async () => {
    const bare = new MockDockerDriver();
    const driver = withMetrics(bare);
    const registry = driver.metricsRegistry;
    collectDriverMetrics(bare, { registry });
    collectSessionMetrics(new SessionEvents(), {
      registry,
      pool: new ResourcePool({ capacity: { cpu: 1, memoryMb: 1 } }),
    });
    const registered = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const used = new Set(
      dashboard.panels
        .flatMap((p) => p.targets ?? [])
        .flatMap((t) => t.expr.match(/\bberth_[a-z_]+/g) ?? [])
        .map((name) => name.replace(/_bucket$/, '')),
    );
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !registered.has(name))).toEqual([]);
  });

  it('has a panel per query area, each with a query, on the datasource and driver variables', () => {
    const variables = dashboard.templating.list.map((v) => v.name);
    expect(variables).toEqual(['datasource', 'driver']);
    const queried = dashboard.panels.filter((p) => p.type !== 'row');
    for (const panel of queried) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? [])
        expect(t.expr, panel.title).toContain('driver=~"$driver"');
    }
    const titles = queried.map((p) => p.title).join(' | ');
    for (const area of [
      'Operations per second',
      'p95',
      'Errors per second by code',
      'CPU',
      'Memory',
      'Disk',
      'Driver healthy',
      'Sessions',
    ]) {
      expect(titles).toContain(area);
    }
  });
});
