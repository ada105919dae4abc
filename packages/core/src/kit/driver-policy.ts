import { ConfigurationError } from '../errors/index.js';
import { RESERVED_LABEL_PREFIX } from './labels.js';
import type { DriverPolicy, TimedOperation } from './primitives.js';

export type ParsedPolicy = DriverPolicy & Required<Pick<DriverPolicy, 'labels' | 'timeouts'>>;

/** A driver's policy, checked when the driver is made: a mistake here is found at once. */
export function parseDriverPolicy(policy: DriverPolicy): ParsedPolicy {
  const { enforcement } = policy;
  if (enforcement !== undefined && enforcement !== 'strict' && enforcement !== 'best-effort') {
    throw new ConfigurationError(
      `enforcement must be 'strict' or 'best-effort', got '${String(enforcement)}'`,
    );
  }
  const labels = { ...policy.labels };
  const reserved = Object.keys(labels).filter((key) => key.startsWith(RESERVED_LABEL_PREFIX));
  if (reserved.length > 0) {
    throw new ConfigurationError(
      `Default labels must not use the reserved '${RESERVED_LABEL_PREFIX}' prefix: ${reserved.join(', ')}`,
    );
  }
  const bad = Object.entries(labels).filter(([, value]) => typeof value !== 'string');
  if (bad.length > 0) {
    throw new ConfigurationError(
      `Default labels must be strings: ${bad.map(([key]) => key).join(', ')}`,
    );
  }
  const timeouts: Partial<Record<TimedOperation, number>> = { ...policy.timeouts };
  for (const [operation, ms] of Object.entries(timeouts)) {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
      throw new ConfigurationError(
        `timeouts.${operation} must be a positive number of milliseconds, got ${String(ms)}`,
      );
    }
  }
  return {
    ...policy,
    labels,
    timeouts,
    ...(policy.allowCapabilities ? { allowCapabilities: [...policy.allowCapabilities] } : {}),
  };
}
