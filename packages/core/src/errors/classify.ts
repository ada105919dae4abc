import { DriverError } from './driver-error.js';
import { NetworkError } from './operation-errors.js';

export function isDriverError(value: unknown): value is DriverError {
  return DriverError.isInstance(value);
}

export function isRetryableError(value: unknown): boolean {
  return isDriverError(value) && value.retryable === true;
}

/**
 * The Berth code of a Berth error (any loaded copy of @berth/core); undefined for anything
 * else. A system error's `code` (`ENOENT`, `ECONNREFUSED`) is not a Berth code and is not
 * returned: read `error.code` itself for that.
 */
export function getErrorCode(value: unknown): string | undefined {
  return isDriverError(value) ? value.code : undefined;
}

/** The `code` a Node system error carries (`ECONNREFUSED`), without trusting the value. */
function systemErrorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    const code = (value as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export function getErrorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

const TRANSPORT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'ERR_SOCKET_CLOSED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A failure to reach the backend at all (refused, reset, unreachable): worth retrying. */
export function isTransportError(value: unknown): boolean {
  return (
    TRANSPORT_ERROR_CODES.has(systemErrorCode(value) ?? '') ||
    /socket hang up/i.test(getErrorMessage(value))
  );
}

/**
 * Turns any thrown value into a DriverError, so retry and breaker decisions have one shape to
 * look at: transport failures become retryable NetworkErrors, everything else an unknown,
 * non-retryable DriverError keeping the original as `cause`. Aborts are not wrapped: they are
 * the caller's own decision and must propagate unchanged.
 */
export function toDriverError(value: unknown): DriverError {
  if (isDriverError(value)) return value;
  const message = getErrorMessage(value);
  if (isTransportError(value)) {
    return new NetworkError(`Transport failure: ${message}`, { cause: value });
  }
  return new DriverError(message || 'Unknown error', 'UNKNOWN_ERROR', false, { cause: value });
}

/** True for the error an AbortSignal produces (DOMException AbortError or its reason). */
export function isAbortError(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    ((value as { name?: unknown }).name === 'AbortError' ||
      (value as { code?: unknown }).code === 'ABORT_ERR')
  );
}
