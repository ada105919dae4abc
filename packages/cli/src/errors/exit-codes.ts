import { DriverUnavailableError, ExitWith, Interrupted, UsageError } from './cli-errors.js';

/** The exit codes `berth` uses; the README's table is this one. */
export const ExitCode = {
  OK: 0,
  /** The operation failed: a driver error other than the ones below. */
  FAILURE: 1,
  /** The command line is wrong, or the driver refused the input as invalid. */
  USAGE: 2,
  /** The container (volume, network, file, process) does not exist. */
  NOT_FOUND: 3,
  /** No usable driver, or its backend (the Docker engine) cannot be reached. */
  UNAVAILABLE: 4,
  /** `run` failed before the container's program ran (as `docker run` does). */
  RUN_FAILED: 125,
  /** Ctrl-C. */
  INTERRUPTED: 130,
  /** stdout closed by its reader (a pipe to `head`), as a shell reports SIGPIPE. */
  BROKEN_PIPE: 141,
  /** SIGTERM. */
  TERMINATED: 143,
} as const;

const NOT_FOUND_CODES = new Set([
  'CONTAINER_NOT_FOUND',
  'VOLUME_NOT_FOUND',
  'NETWORK_NOT_FOUND',
  'FILE_NOT_FOUND',
  'PROCESS_NOT_FOUND',
]);

/** A thrown value's `code` when it is a string, read without trusting the value. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  try {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The exit code for a failure. Berth's error codes are stable (they are the contract's), so
 * they decide, never the message text.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ExitWith) return error.exitCode;
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof DriverUnavailableError) return ExitCode.UNAVAILABLE;
  if (error instanceof Interrupted) {
    if (error.signal === 'SIGPIPE') return ExitCode.BROKEN_PIPE;
    return error.signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
  }
  const code = codeOf(error);
  if (code === undefined) return ExitCode.FAILURE;
  if (NOT_FOUND_CODES.has(code)) return ExitCode.NOT_FOUND;
  // A backend that does not answer (the engine's socket refused) is a NetworkError.
  if (code === 'NETWORK_ERROR' || code === 'DRIVER_HEALTH_CHECK_FAILED') {
    return ExitCode.UNAVAILABLE;
  }
  if (code === 'CONFIGURATION_ERROR') return ExitCode.USAGE;
  return ExitCode.FAILURE;
}
