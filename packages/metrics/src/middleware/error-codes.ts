import { getErrorCode } from '@berth/core';

/**
 * The codes Berth's own packages throw. Error codes become label values, so anything outside a
 * known list is folded into 'other': a third-party driver inventing a code per failure must not
 * grow the series without bound.
 */
export const KNOWN_ERROR_CODES: readonly string[] = [
  'AUTHENTICATION_FAILED',
  'AUTHORIZATION_FAILED',
  'CIRCUIT_OPEN',
  'CONFIGURATION_ERROR',
  'CONFLICT',
  'CONTAINER_CREATION_FAILED',
  'CONTAINER_NOT_FOUND',
  'CONTAINER_NOT_READY',
  'CONTAINER_EXPIRED',
  'CONTAINER_REMOVE_FAILED',
  'CONTAINER_START_FAILED',
  'CONTAINER_STOP_FAILED',
  'DRIVER_HEALTH_CHECK_FAILED',
  'FILE_NOT_FOUND',
  'FILE_SYSTEM_ERROR',
  'LOG_LINES_LOST',
  'NETWORK_CREATION_FAILED',
  'NETWORK_ERROR',
  'NETWORK_NOT_FOUND',
  'NETWORK_REMOVE_FAILED',
  'PROCESS_NOT_FOUND',
  'RESOURCE_LIMIT_EXCEEDED',
  'RETRIES_EXHAUSTED',
  'SESSION_START_FAILED',
  'TIMEOUT_ERROR',
  'UNSUPPORTED_FEATURE',
  'VOLUME_CREATION_FAILED',
  'VOLUME_NOT_FOUND',
  'VOLUME_REMOVE_FAILED',
];

/** The label value for an error: its Berth code, 'unknown' without one, 'other' if unlisted. */
export function codeLabel(error: unknown, known: ReadonlySet<string>): string {
  const code = getErrorCode(error);
  if (code === undefined) return 'unknown';
  return known.has(code) ? code : 'other';
}
