import { Counter, Histogram, type Registry } from 'prom-client';
import { existingMetric } from '../shared/names.js';

/**
 * In seconds: from an instant mock's sub-millisecond calls to an image pull or a followed log
 * stream of minutes. Anything longer lands in +Inf, which is still counted.
 */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

export type Outcome = 'success' | 'error' | 'aborted';

const OPERATION_LABELS = ['driver', 'operation', 'outcome'] as const;
const DURATION_LABELS = ['driver', 'operation'] as const;
const ERROR_LABELS = ['driver', 'operation', 'code'] as const;

export interface OperationMetrics {
  operations: Counter<(typeof OPERATION_LABELS)[number]>;
  duration: Histogram<(typeof DURATION_LABELS)[number]>;
  errors: Counter<(typeof ERROR_LABELS)[number]>;
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  return (
    existingMetric<Counter<L>>(registry, name, Counter, labelNames) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

export function operationMetrics(
  registry: Registry,
  prefix: string,
  buckets: readonly number[],
): OperationMetrics {
  const durationName = `${prefix}driver_operation_duration_seconds`;
  return {
    operations: counter(
      registry,
      `${prefix}driver_operations_total`,
      'Driver operations that ended, by outcome (success, error, aborted).',
      OPERATION_LABELS,
    ),
    duration:
      existingMetric<Histogram<(typeof DURATION_LABELS)[number]>>(
        registry,
        durationName,
        Histogram,
        DURATION_LABELS,
      ) ??
      new Histogram({
        name: durationName,
        help: 'Time a driver operation took; for streamLogs, until iteration ended.',
        labelNames: DURATION_LABELS,
        buckets: [...buckets],
        registers: [registry],
      }),
    errors: counter(
      registry,
      `${prefix}driver_operation_errors_total`,
      'Driver operations that failed, by Berth error code (unknown: none; other: unlisted).',
      ERROR_LABELS,
    ),
  };
}
