/*
 * Errors of an operation or of the driver as a whole rather than of one container, volume or
 * network: time, transport, host limits, access, conflicts, what cannot be enforced.
 */

import { ERROR_BRAND } from './brand.js';
import { DriverError, type DriverErrorOptions } from './driver-error.js';

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

  constructor(message: string, options?: DriverErrorOptions, code = 'FILE_SYSTEM_ERROR') {
    super(message, code, false, options);
  }
}

/** A process id that names no process of the container (spawned, listed or attached). */
export class ProcessNotFoundError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ProcessNotFoundError';

  constructor(
    readonly containerId: string,
    readonly processId: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `No process ${JSON.stringify(processId)} in container ${containerId}: listProcesses(id) gives the ones there are`,
      'PROCESS_NOT_FOUND',
      false,
      options,
    );
  }
}

/** A path inside a container that does not exist. */
export class FileNotFoundError extends FileSystemError {
  static override readonly [ERROR_BRAND]: string = '@berth/core/FileNotFoundError';

  constructor(
    readonly containerId: string,
    readonly path: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `No such file or directory in container ${containerId}: ${path}`,
      options,
      'FILE_NOT_FOUND',
    );
  }
}

/** A name or resource is already taken (the engine's 409). Not retryable: retrying cannot help. */
export class ConflictError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ConflictError';

  constructor(message: string, options?: DriverErrorOptions) {
    super(message, 'CONFLICT', false, options);
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
