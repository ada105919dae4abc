/**
 * Error classes of the contract. Codes and default `retryable` flags are part of the public
 * contract: retry and circuit-breaking code decide on them, never on message text.
 */

// Symbol.for, not a module-local symbol: a plugin built against another copy of @berth/core
// throws errors whose class is not ours, and they must still be recognised.
const DRIVER_ERROR_MARKER = Symbol.for('berth.driver-error');

export interface DriverErrorOptions {
  cause?: unknown;
  /** Overrides the class's default retryability for this one instance. */
  retryable?: boolean;
}

export class DriverError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, code: string, retryable = false, options: DriverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? retryable;
    Object.defineProperty(this, DRIVER_ERROR_MARKER, { value: true });
  }

  /** True for any DriverError, including one made by another loaded copy of @berth/core. */
  static isInstance(value: unknown): value is DriverError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[DRIVER_ERROR_MARKER] === true
    );
  }
}

/**
 * An id as a message can show it: callers pass anything (a Symbol would throw in a template),
 * and a long or odd one is cut and quoted rather than printed raw.
 */
function shown(id: unknown): string {
  if (typeof id === 'string')
    return id.length <= 128 && /^[\x20-\x7e]*$/.test(id) ? id : JSON.stringify(id.slice(0, 128));
  if (typeof id === 'symbol') return id.toString();
  try {
    return `(${typeof id}) ${String(id).slice(0, 64)}`;
  } catch {
    return `(${typeof id})`;
  }
}

export class ContainerNotFoundError extends DriverError {
  constructor(
    readonly containerId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Container not found: ${shown(containerId)}`, 'CONTAINER_NOT_FOUND', false, options);
  }
}

export class ContainerCreationError extends DriverError {
  constructor(
    message: string,
    readonly details?: unknown,
    options?: DriverErrorOptions,
  ) {
    super(message, 'CONTAINER_CREATION_FAILED', true, options);
  }
}

export class ContainerStartError extends DriverError {
  constructor(
    readonly containerId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to start container ${containerId}: ${message}`,
      'CONTAINER_START_FAILED',
      true,
      options,
    );
  }
}

export class ContainerStopError extends DriverError {
  constructor(
    readonly containerId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to stop container ${containerId}: ${message}`,
      'CONTAINER_STOP_FAILED',
      true,
      options,
    );
  }
}

export class ContainerRemoveError extends DriverError {
  constructor(
    readonly containerId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to remove container ${containerId}: ${message}`,
      'CONTAINER_REMOVE_FAILED',
      false,
      options,
    );
  }
}

export class VolumeCreationError extends DriverError {
  constructor(
    readonly volumeName: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to create volume ${volumeName}: ${message}`,
      'VOLUME_CREATION_FAILED',
      true,
      options,
    );
  }
}

export class VolumeNotFoundError extends DriverError {
  constructor(
    readonly volumeId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Volume not found: ${shown(volumeId)}`, 'VOLUME_NOT_FOUND', false, options);
  }
}

export class VolumeRemoveError extends DriverError {
  constructor(
    readonly volumeId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to remove volume ${volumeId}: ${message}`,
      'VOLUME_REMOVE_FAILED',
      false,
      options,
    );
  }
}

export class NetworkCreationError extends DriverError {
  constructor(
    readonly networkName: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to create network ${networkName}: ${message}`,
      'NETWORK_CREATION_FAILED',
      true,
      options,
    );
  }
}

export class NetworkNotFoundError extends DriverError {
  constructor(
    readonly networkId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Network not found: ${shown(networkId)}`, 'NETWORK_NOT_FOUND', false, options);
  }
}

export class NetworkRemoveError extends DriverError {
  constructor(
    readonly networkId: string,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Failed to remove network ${networkId}: ${message}`,
      'NETWORK_REMOVE_FAILED',
      false,
      options,
    );
  }
}

export class DriverHealthError extends DriverError {
  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'DRIVER_HEALTH_CHECK_FAILED', false, options);
  }
}

export class ResourceLimitError extends DriverError {
  constructor(
    readonly resource: string,
    readonly limit: number,
    readonly requested: number,
    options?: DriverErrorOptions,
  ) {
    super(
      `Resource limit exceeded for ${resource}: requested ${requested}, limit is ${limit}`,
      'RESOURCE_LIMIT_EXCEEDED',
      false,
      options,
    );
  }
}

export class AuthenticationError extends DriverError {
  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'AUTHENTICATION_FAILED', false, options);
  }
}

export class AuthorizationError extends DriverError {
  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'AUTHORIZATION_FAILED', false, options);
  }
}

/** One problem found while validating a configuration. */
export interface ValidationIssue {
  /** Where in the input, e.g. `['resources', 'cpu']`. */
  path: (string | number)[];
  message: string;
  /** Which validation stage found it. */
  stage: 'schema' | 'resources' | 'security';
}

export class ConfigurationError extends DriverError {
  readonly issues: ValidationIssue[];

  constructor(message: string, issues: ValidationIssue[] = [], options?: DriverErrorOptions) {
    super(message, 'CONFIGURATION_ERROR', false, options);
    this.issues = issues;
  }
}

export class TimeoutError extends DriverError {
  constructor(
    readonly operation: string,
    readonly ms: number,
    options?: DriverErrorOptions,
  ) {
    super(`Operation ${operation} timed out after ${ms} ms`, 'TIMEOUT_ERROR', true, options);
  }
}

export class NetworkError extends DriverError {
  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'NETWORK_ERROR', true, options);
  }
}

export class FileSystemError extends DriverError {
  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'FILE_SYSTEM_ERROR', false, options);
  }
}

/** A name or resource is already taken (the engine's 409). Not retryable: retrying cannot help. */
export class ConflictError extends DriverError {
  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'CONFLICT', false, options);
  }
}

/**
 * A log stream could not deliver every line: the backend dropped lines before they were read
 * (the engine rotated its log files away under a slow reader, or the file was truncated). Lines
 * yielded before this error are complete and in order; nothing after the gap is silently skipped.
 */
export class LogLinesLostError extends DriverError {
  constructor(
    readonly containerId: string,
    /** Time of the last line delivered before the gap (undefined: none had been). */
    readonly lastDelivered: Date | undefined,
    /** Time of the oldest line the backend still holds after the gap: pass it as `since` to go on. */
    readonly resumeSince: Date | undefined,
    reason: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Log lines of container ${shown(containerId)} were lost${
        lastDelivered ? ` after ${lastDelivered.toISOString()}` : ''
      }: ${reason}. The lines already delivered are intact; ${
        resumeSince
          ? `to go on, stream again with { since: error.resumeSince } (${resumeSince.toISOString()})`
          : 'stream again to read what the log still holds'
      }, or read faster / keep more log (larger rotation limits).`,
      'LOG_LINES_LOST',
      false,
      options,
    );
  }
}

/** One thing a configuration asked for that the driver cannot enforce on this host. */
export interface UnsupportedFeature {
  /** Capability name, e.g. `memory` or `readOnlyRootfs`. */
  feature: string;
  /** The config path that asked for it, e.g. `resources.memory`. */
  path: string;
  reason?: string;
}

export class UnsupportedFeatureError extends DriverError {
  readonly features: UnsupportedFeature[];
  readonly hint: string | undefined;

  constructor(
    features: (UnsupportedFeature | string)[],
    hint?: string,
    options?: DriverErrorOptions,
  ) {
    const list = features.map((f) => (typeof f === 'string' ? { feature: f, path: f } : f));
    const named = list
      .map((f) => `${f.feature} (${f.path}${f.reason ? `: ${f.reason}` : ''})`)
      .join(', ');
    super(
      `The driver cannot enforce: ${named}. ${
        hint ??
        "Remove these settings, use a driver or host that enforces them, or create the driver with enforcement: 'best-effort' to run without them."
      }`,
      'UNSUPPORTED_FEATURE',
      false,
      options,
    );
    this.features = list;
    this.hint = hint;
  }
}

export function isDriverError(value: unknown): value is DriverError {
  return DriverError.isInstance(value);
}

export function isRetryableError(value: unknown): boolean {
  return isDriverError(value) && value.retryable === true;
}

export function getErrorCode(value: unknown): string {
  if (isDriverError(value)) return value.code;
  if (typeof value === 'object' && value !== null) {
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
  }
  return 'UNKNOWN_ERROR';
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
    TRANSPORT_ERROR_CODES.has(getErrorCode(value)) || /socket hang up/i.test(getErrorMessage(value))
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
