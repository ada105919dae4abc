import { type DriverError, isDriverError } from '@berth/core';

const UNHEALTHY_CODES = new Set(['NETWORK_ERROR', 'TIMEOUT_ERROR', 'DRIVER_HEALTH_CHECK_FAILED']);

/**
 * Whether an error says the backend itself is unwell (what a circuit breaker counts), as
 * opposed to a problem with the request (not found, invalid config, conflict).
 */
export function isBackendFailure(error: unknown): boolean {
  if (!isDriverError(error)) return false;
  return UNHEALTHY_CODES.has(error.code) || (error as DriverError).retryable;
}
