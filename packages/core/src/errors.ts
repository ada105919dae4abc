/**
 * Error classes of the contract. Codes and default `retryable` flags are part of the public
 * contract: retry and circuit-breaking code decide on them, never on message text.
 */

import { brandOf, ERROR_BRAND, hasBrand, LINEAGE, lineageOf } from './error-brand.js';

export { ERROR_BRAND };

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
    Object.defineProperty(this, LINEAGE, { value: lineageOf(new.target, DriverError) });
  }

  /**
   * True for an instance of this class or of a subclass, including one made by another loaded
   * copy of @berth/core: `ContainerNotFoundError.isInstance(e)` is false for a NetworkError,
   * and `DriverError.isInstance(e)` true for every Berth error.
   */
  static isInstance<T extends abstract new (...args: never[]) => DriverError>(
    this: T,
    value: unknown,
  ): value is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass it is called on.
    const brand = brandOf(this);
    if (brand === undefined) {
      throw new ConfigurationError(
        'isInstance was called without its class (detached from it?): call it on the class, as in ContainerNotFoundError.isInstance(value).',
      );
    }
    return hasBrand(value, brand);
  }
}

// Not a declared static: subclasses then set their own without an `override` modifier.
Object.defineProperty(DriverError, ERROR_BRAND, { value: '@berth/core/DriverError' });

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
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerNotFoundError';

  constructor(
    readonly containerId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Container not found: ${shown(containerId)}`, 'CONTAINER_NOT_FOUND', false, options);
  }
}

export class ContainerCreationError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerCreationError';

  constructor(
    message: string,
    readonly details?: unknown,
    options?: DriverErrorOptions,
  ) {
    super(message, 'CONTAINER_CREATION_FAILED', true, options);
  }
}

export class ContainerStartError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerStartError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerStopError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerRemoveError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/VolumeCreationError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/VolumeNotFoundError';

  constructor(
    readonly volumeId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Volume not found: ${shown(volumeId)}`, 'VOLUME_NOT_FOUND', false, options);
  }
}

export class VolumeRemoveError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/VolumeRemoveError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkCreationError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkNotFoundError';

  constructor(
    readonly networkId: string,
    options?: DriverErrorOptions,
  ) {
    super(`Network not found: ${shown(networkId)}`, 'NETWORK_NOT_FOUND', false, options);
  }
}

export class NetworkRemoveError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkRemoveError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/DriverHealthError';

  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'DRIVER_HEALTH_CHECK_FAILED', false, options);
  }
}

export class ResourceLimitError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ResourceLimitError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/AuthenticationError';

  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'AUTHENTICATION_FAILED', false, options);
  }
}

export class AuthorizationError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/AuthorizationError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/ConfigurationError';

  readonly issues: ValidationIssue[];

  constructor(message: string, issues: ValidationIssue[] = [], options?: DriverErrorOptions) {
    super(message, 'CONFIGURATION_ERROR', false, options);
    this.issues = issues;
  }
}

export class TimeoutError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/TimeoutError';

  constructor(
    readonly operation: string,
    readonly ms: number,
    options?: DriverErrorOptions,
  ) {
    super(`Operation ${operation} timed out after ${ms} ms`, 'TIMEOUT_ERROR', true, options);
  }
}

export class NetworkError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/NetworkError';

  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'NETWORK_ERROR', true, options);
  }
}

export class FileSystemError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/FileSystemError';

  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'FILE_SYSTEM_ERROR', false, options);
  }
}

/** A name or resource is already taken (the engine's 409). Not retryable: retrying cannot help. */
export class ConflictError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ConflictError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/LogLinesLostError';

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
  static readonly [ERROR_BRAND]: string = '@berth/core/UnsupportedFeatureError';

  readonly features: UnsupportedFeature[];
  readonly hint: string | undefined;

  /** `features`: one feature or a list; a bare name stands for a feature at the path of that name. */
  constructor(
    features: UnsupportedFeature | string | readonly (UnsupportedFeature | string)[],
    hint?: string,
    options?: DriverErrorOptions,
  ) {
    const given: readonly (UnsupportedFeature | string)[] = Array.isArray(features)
      ? features
      : [features as UnsupportedFeature | string];
    const list = given.map((f) => (typeof f === 'string' ? { feature: f, path: f } : f));
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
