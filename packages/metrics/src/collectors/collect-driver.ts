import {
  ConfigurationError,
  type ContainerDriver,
  ContainerStatusSchema,
  HealthStatusSchema,
} from '@berth/core';
import { Gauge, type Registry } from 'prom-client';
import { checkPrefix, checkRegistry } from '../shared/names.js';
import { type Snapshot, SnapshotReader } from './snapshot.js';

export interface CollectorOptions {
  /** Required: collectors read the driver on every scrape of this registry. */
  registry: Registry;
  prefix?: string;
  /** Most containers given per-container series (and stats calls) per scrape; default 200. */
  maxContainers?: number;
  /** How long a container's stats are reused before being read again; default 10 000 ms. */
  staleMs?: number;
  /** Stats calls in flight at once; default 8. */
  concurrency?: number;
}

export interface DriverCollector {
  /** Takes the gauges out of the registry; the driver is read no more. */
  unregister(): void;
}

const WHERE = 'collectDriverMetrics options';

function count(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigurationError(`${WHERE}: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

type Fill = (gauge: Gauge<string>, snapshot: Snapshot, driver: string) => void;

interface GaugeSpec {
  name: string;
  help: string;
  labels: string[];
  fill: Fill;
}

const CONTAINER_LABELS = ['driver', 'container', 'session'];

function perContainer(
  name: string,
  help: string,
  value: (s: Snapshot['samples'][number]['stats']) => number | undefined,
): GaugeSpec {
  return {
    name,
    help,
    labels: CONTAINER_LABELS,
    fill(gauge, snapshot, driver) {
      for (const sample of snapshot.samples) {
        const v = value(sample.stats);
        // A driver that cannot measure it (disk, on some) gives no series, not a false 0.
        if (v === undefined) continue;
        gauge.set({ driver, container: sample.name, session: sample.sessionId }, v);
      }
    },
  };
}

const SPECS: GaugeSpec[] = [
  {
    name: 'containers',
    help: 'Containers the driver lists, by status.',
    labels: ['driver', 'status'],
    fill(gauge, snapshot, driver) {
      if (!snapshot.containers) return;
      // Every status, zeros included, so a status that empties reads 0 rather than vanishing.
      for (const status of ContainerStatusSchema.options) {
        gauge.set(
          { driver, status },
          snapshot.containers.filter((c) => c.status === status).length,
        );
      }
    },
  },
  {
    name: 'containers_by_health',
    help: 'Running containers the driver lists, by health check state (none: no check).',
    labels: ['driver', 'health'],
    fill(gauge, snapshot, driver) {
      if (!snapshot.containers) return;
      const running = snapshot.containers.filter((c) => c.status === 'running');
      for (const health of HealthStatusSchema.options) {
        gauge.set(
          { driver, health },
          running.filter((c) => (c.health ?? 'none') === health).length,
        );
      }
    },
  },
  {
    name: 'sessions',
    help: 'Distinct sessions among the containers the driver lists.',
    labels: ['driver'],
    fill(gauge, snapshot, driver) {
      if (snapshot.containers) {
        gauge.set({ driver }, new Set(snapshot.containers.map((c) => c.sessionId)).size);
      }
    },
  },
  {
    name: 'driver_healthy',
    help: '1 when the driver health check says healthy, 0 when degraded, unhealthy or failing.',
    labels: ['driver'],
    fill: (gauge, snapshot, driver) => gauge.set({ driver }, snapshot.healthy ? 1 : 0),
  },
  {
    name: 'driver_uptime_seconds',
    help: 'Seconds since the driver (or its backend) started, as its health check reports.',
    labels: ['driver'],
    fill(gauge, snapshot, driver) {
      if (snapshot.uptimeSeconds !== undefined) gauge.set({ driver }, snapshot.uptimeSeconds);
    },
  },
  {
    name: 'volumes',
    help: 'Volumes the driver lists.',
    labels: ['driver'],
    fill(gauge, snapshot, driver) {
      if (snapshot.volumes !== undefined) gauge.set({ driver }, snapshot.volumes);
    },
  },
  {
    name: 'networks',
    help: 'Networks the driver lists.',
    labels: ['driver'],
    fill(gauge, snapshot, driver) {
      if (snapshot.networks !== undefined) gauge.set({ driver }, snapshot.networks);
    },
  },
  {
    name: 'container_stats_omitted',
    help: 'Running containers without per-container series this scrape, beyond maxContainers.',
    labels: ['driver'],
    fill: (gauge, snapshot, driver) => gauge.set({ driver }, snapshot.omitted),
  },
  perContainer('container_cpu_percent', 'CPU in percent of one core.', (s) => s.cpuPercent),
  perContainer('container_memory_bytes', 'Memory in use.', (s) => s.memoryBytes),
  perContainer('container_memory_limit_bytes', 'Memory limit.', (s) => s.memoryLimitBytes),
  perContainer('container_pids', 'Processes running.', (s) => s.pids),
  perContainer(
    'container_disk_bytes',
    "Bytes written to the container's own filesystem, where the driver measures it.",
    (s) => s.diskBytes,
  ),
];

// Collectors share gauges per registry and prefix, so drivers exported together (a selector's
// candidates, say) appear as one metric each, told apart by the `driver` label.
const shared = new WeakMap<Registry, Map<string, Map<string, SnapshotReader>>>();

function gaugesFor(registry: Registry, prefix: string): Map<string, SnapshotReader> {
  let byPrefix = shared.get(registry);
  if (!byPrefix) {
    byPrefix = new Map();
    shared.set(registry, byPrefix);
  }
  const names = SPECS.map((spec) => `${prefix}${spec.name}`);
  const existing = byPrefix.get(prefix);
  // Still ours unless the registry was cleared under us; then the gauges are made again.
  if (existing && registry.getSingleMetric(names[0] as string) !== undefined) return existing;
  const taken = names.filter((name) => registry.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new ConfigurationError(
      `${WHERE}: the registry already has ${taken.join(', ')} from something else; pass another registry or prefix`,
    );
  }
  const readers = new Map<string, SnapshotReader>();
  SPECS.forEach((spec, i) => {
    new Gauge({
      name: names[i] as string,
      help: spec.help,
      labelNames: spec.labels,
      registers: [registry],
      async collect() {
        const entries = [...readers];
        const snapshots = await Promise.all(entries.map(([, reader]) => reader.read()));
        // Series of containers gone since the last scrape must not linger.
        this.reset();
        entries.forEach(([driver], j) => {
          spec.fill(this, snapshots[j] as Snapshot, driver);
        });
      },
    });
  });
  byPrefix.set(prefix, readers);
  return readers;
}

/**
 * Gauges read from `driver` when `registry` is scraped, and only then: nothing polls between
 * scrapes. Pass the bare driver, not one wrapped by withMetrics, unless the scrapes' own calls
 * should show in the operation counters. A read that fails leaves its gauges empty for that
 * scrape instead of failing the scrape; `driver_healthy` reads 0 then. Several drivers may be
 * collected on one registry, each under its own name.
 */
export function collectDriverMetrics(
  driver: ContainerDriver,
  options: CollectorOptions,
): DriverCollector {
  if (typeof driver !== 'object' || driver === null || typeof driver.name !== 'string') {
    throw new ConfigurationError(
      'collectDriverMetrics: the first argument must be a ContainerDriver',
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`${WHERE} must be an object with a registry`);
  }
  const registry = checkRegistry(options.registry, WHERE);
  if (!registry) throw new ConfigurationError(`${WHERE}: registry is required`);
  const prefix = checkPrefix(options.prefix, WHERE);
  const reader = new SnapshotReader(driver, {
    maxContainers: count(options.maxContainers, 'maxContainers', 200, 0),
    staleMs: count(options.staleMs, 'staleMs', 10_000, 0),
    concurrency: count(options.concurrency, 'concurrency', 8, 1),
  });
  const readers = gaugesFor(registry, prefix);
  const driverName = driver.name;
  if (readers.has(driverName)) {
    throw new ConfigurationError(
      `${WHERE}: a driver named ${JSON.stringify(driverName)} is already collected on this registry; its series would clash (unregister that one first, or use another prefix)`,
    );
  }
  readers.set(driverName, reader);
  let done = false;
  return {
    unregister() {
      if (done || readers.get(driverName) !== reader) return;
      done = true;
      readers.delete(driverName);
      if (readers.size > 0) return;
      for (const spec of SPECS) registry.removeSingleMetric(`${prefix}${spec.name}`);
      shared.get(registry)?.delete(prefix);
    },
  };
}
