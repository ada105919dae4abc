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

/** Why a readiness wait gave up. */
export type NotReadyReason = 'timeout' | 'exited' | 'gone' | 'failed';

/**
 * A container did not become ready: the wait timed out, the container ended or vanished
 * first, or a condition failed for good (a one-shot run that exited non-zero). Carries the
 * last log lines, so the caller sees why without another call.
 */
export class ContainerNotReadyError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerNotReadyError';

  constructor(
    readonly containerId: string,
    /** What was waited for, in words. */
    readonly condition: string,
    readonly reason: NotReadyReason,
    /** What the wait last saw of each condition not met (e.g. `HTTP 503`). */
    readonly lastSeen: string[],
    /** The container's last log lines, oldest first. */
    readonly lastLogLines: string[],
    readonly waitedMs: number,
    readonly exitCode?: number,
    options?: DriverErrorOptions,
  ) {
    const why = {
      timeout: `it was not ready after ${waitedMs} ms`,
      exited: `it exited${exitCode === undefined ? '' : ` with code ${exitCode}`} before it was ready`,
      gone: 'it was removed before it was ready',
      failed: 'the condition failed',
    }[reason];
    const seen = lastSeen.length > 0 ? ` Last seen: ${lastSeen.join('; ')}.` : '';
    const logs =
      lastLogLines.length > 0
        ? ` Last log lines:\n${lastLogLines.map((l) => `  ${l}`).join('\n')}`
        : ' It logged nothing.';
    super(
      `Container ${shown(containerId)} waiting for ${condition}: ${why}.${seen}${logs}`,
      'CONTAINER_NOT_READY',
      reason === 'timeout',
      options,
    );
  }
}

/**
 * The container's time to live has ended: the driver side stopped it (or is about to) and will
 * not let it start again until `extendTtl` gives it more time.
 */
export class ContainerExpiredError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ContainerExpiredError';

  constructor(
    readonly containerId: string,
    readonly expiredAt: Date,
    options?: DriverErrorOptions,
  ) {
    super(
      `Container ${shown(containerId)} expired at ${expiredAt.toISOString()}: its time to live (lifetime.ttlMs) has ended. Call extendTtl(id, ms) to give it more time before starting it again.`,
      'CONTAINER_EXPIRED',
      false,
      options,
    );
  }
}
