import { ConfigurationError } from '@berth/core';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const DEFAULT_PREFIX = 'berth_';

// Prometheus' own rule for metric names; an empty prefix is allowed.
const PREFIX_PATTERN = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

export function checkPrefix(prefix: unknown, where: string): string {
  if (prefix === undefined) return DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new ConfigurationError(
      `${where}: prefix must match ${PREFIX_PATTERN} (a Prometheus metric name start), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

export function checkRegistry(registry: unknown, where: string): Registry | undefined {
  if (registry === undefined) return undefined;
  const r = registry as Partial<Registry> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.registerMetric !== 'function' ||
    typeof r.getSingleMetric !== 'function' ||
    typeof r.metrics !== 'function'
  ) {
    throw new ConfigurationError(`${where}: registry must be a prom-client Registry`);
  }
  return registry as Registry;
}

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

/**
 * The metric of that name already in the registry, when it is the same kind with the same
 * labels: two drivers wrapped onto one registry share the series and differ by `driver`.
 * Anything else under that name is a clash the caller must resolve, not something to overwrite.
 */
export function existingMetric<T>(
  registry: Registry,
  name: string,
  kind: MetricClass,
  labelNames: readonly string[],
): T | undefined {
  const found = registry.getSingleMetric(name);
  if (found === undefined) return undefined;
  const labels = (found as unknown as { labelNames?: string[] }).labelNames ?? [];
  if (!(found instanceof kind) || labels.join() !== labelNames.join()) {
    throw new ConfigurationError(
      `The registry already has a metric ${name} of another kind or labels; pass another registry or prefix`,
    );
  }
  return found as T;
}
