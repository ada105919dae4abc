import { ERROR_BRAND } from './brand.js';
import { DriverError, type DriverErrorOptions } from './driver-error.js';
import { shown } from './shown-id.js';

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
