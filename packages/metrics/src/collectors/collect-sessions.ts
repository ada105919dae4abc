import { ConfigurationError } from '@berth/core';
import type { ResourcePool, SessionEvents } from '@berth/session';
import { Counter, Gauge, type Registry } from 'prom-client';
import { checkPrefix, checkRegistry } from '../shared/names.js';

export interface SessionCollectorOptions {
  registry: Registry;
  prefix?: string;
  /** A pool whose capacity and use are read on each scrape. */
  pool?: ResourcePool;
}

export interface SessionCollector {
  /** Stops counting and takes the metrics out of the registry. */
  unregister(): void;
}

const WHERE = 'collectSessionMetrics options';
const RESOURCES = ['cpu', 'memoryMb', 'diskMb', 'pids'] as const;
const END_REASONS = ['ended', 'ttl', 'idle', 'failed'] as const;

type Emitter = {
  on(event: string, listener: (payload: Record<string, unknown>) => void): () => void;
};

/**
 * Session metrics from the session events of this process (started, ended by reason, rolled
 * back, restarts, failed services), and a pool's capacity and use read on scrape. Sessions of
 * other processes are counted by collectDriverMetrics' `sessions` gauge, from the driver.
 */
export function collectSessionMetrics(
  events: SessionEvents,
  options: SessionCollectorOptions,
): SessionCollector {
  if (typeof events !== 'object' || events === null || typeof events.on !== 'function') {
    throw new ConfigurationError('collectSessionMetrics: the first argument must be SessionEvents');
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(`${WHERE} must be an object with a registry`);
  }
  const registry = checkRegistry(options.registry, WHERE);
  if (!registry) throw new ConfigurationError(`${WHERE}: registry is required`);
  const prefix = checkPrefix(options.prefix, WHERE);
  const pool = options.pool;
  if (pool !== undefined && typeof (pool as Partial<ResourcePool>)?.state !== 'function') {
    throw new ConfigurationError(`${WHERE}: pool must be a ResourcePool`);
  }
  const names = [
    'sessions_started_total',
    'sessions_ended_total',
    'sessions_rolled_back_total',
    'sessions_active',
    'service_restarts_total',
    'service_failures_total',
    ...(pool ? ['pool_capacity', 'pool_allocated', 'pool_reserved', 'pool_waiting'] : []),
  ].map((n) => `${prefix}${n}`);
  const taken = names.filter((n) => registry.getSingleMetric(n) !== undefined);
  if (taken.length > 0) {
    throw new ConfigurationError(
      `${WHERE}: the registry already has ${taken.join(', ')}; one collector per registry and prefix`,
    );
  }
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name: `${prefix}${name}`, help, labelNames, registers });
  const started = counter('sessions_started_total', 'Sessions started.', ['driver']);
  const ended = counter('sessions_ended_total', 'Sessions ended, by reason.', ['driver', 'reason']);
  const rolledBack = counter(
    'sessions_rolled_back_total',
    'Session starts that failed and were undone.',
    ['driver'],
  );
  const restarts = counter('service_restarts_total', 'Service restarts by recovery.', ['driver']);
  const failures = counter('service_failures_total', 'Services given up on by recovery.', [
    'driver',
  ]);
  const active = new Gauge({
    name: `${prefix}sessions_active`,
    help: 'Sessions started and not yet ended in this process.',
    labelNames: ['driver'],
    registers,
  });
  // Every reason at 0 from the start, so a rate over a reason that has not happened yet is 0.
  const driverSeen = new Set<string>();
  const seen = (driver: string) => {
    if (driverSeen.has(driver)) return;
    driverSeen.add(driver);
    for (const reason of END_REASONS) ended.inc({ driver, reason }, 0);
    for (const metric of [started, rolledBack, restarts, failures]) metric.inc({ driver }, 0);
    active.inc({ driver }, 0);
  };
  const driverOf = (payload: Record<string, unknown>) =>
    typeof payload.driver === 'string' ? payload.driver : 'unknown';
  const emitter = events as unknown as Emitter;
  const offs = [
    emitter.on('session:started', (p) => {
      const driver = driverOf(p);
      seen(driver);
      started.inc({ driver });
      active.inc({ driver });
    }),
    emitter.on('session:ended', (p) => {
      const driver = driverOf(p);
      seen(driver);
      const reason = END_REASONS.includes(p.reason as never) ? String(p.reason) : 'ended';
      ended.inc({ driver, reason });
      active.dec({ driver });
    }),
    emitter.on('session:rolled-back', (p) => {
      seen(driverOf(p));
      rolledBack.inc({ driver: driverOf(p) });
    }),
    emitter.on('container:restarting', (p) => {
      seen(driverOf(p));
      restarts.inc({ driver: driverOf(p) });
    }),
    emitter.on('service:failed', (p) => {
      seen(driverOf(p));
      failures.inc({ driver: driverOf(p) });
    }),
  ];

  if (pool) {
    const poolGauge = (name: string, help: string, read: (g: Gauge<string>) => void) =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        labelNames: name === 'pool_waiting' ? [] : ['resource'],
        registers,
        collect() {
          this.reset();
          read(this);
        },
      });
    const byResource =
      (pick: (s: ReturnType<ResourcePool['state']>) => Record<string, unknown>) =>
      (gauge: Gauge<string>) => {
        const amounts = pick(pool.state());
        for (const resource of RESOURCES) {
          const value = amounts[resource];
          if (typeof value === 'number') gauge.set({ resource }, value);
        }
      };
    poolGauge(
      'pool_capacity',
      'Pool capacity by resource (cpu in cores, memoryMb and diskMb in MB, pids).',
      byResource((s) => ({ ...s.capacity })),
    );
    poolGauge(
      'pool_allocated',
      'Pool capacity allocated to containers.',
      byResource((s) => ({ ...s.allocated })),
    );
    poolGauge(
      'pool_reserved',
      'Pool capacity reserved and not yet allocated.',
      byResource((s) => ({ ...s.reserved })),
    );
    poolGauge('pool_waiting', 'Requests waiting for pool capacity.', (g) =>
      g.set(pool.state().waiting.length),
    );
  }

  return {
    unregister() {
      for (const off of offs) off();
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
