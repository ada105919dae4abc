/**
 * The CLI's own failures. Driver failures stay the typed errors of @berth/core (their message
 * already says what to do); these cover what only the command line knows about.
 */

/** The command line itself is wrong: an unknown command or flag, a missing or bad value. */
export class UsageError extends Error {
  readonly code = 'USAGE_ERROR';

  constructor(
    message: string,
    /** The command whose help would show the right form, for the `see 'berth X --help'` tail. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** No driver can run here, or the one asked for cannot reach its backend. */
export class DriverUnavailableError extends Error {
  readonly code = 'NO_USABLE_DRIVER';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DriverUnavailableError';
  }
}

/**
 * Ctrl-C, SIGTERM, or stdout closed by its reader (`berth logs -f | head`): the reason the
 * CLI's signal is aborted with.
 */
export class Interrupted extends Error {
  readonly code = 'INTERRUPTED';

  constructor(readonly signal: 'SIGINT' | 'SIGTERM' | 'SIGPIPE') {
    super(signal === 'SIGPIPE' ? 'stdout was closed' : `interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

/**
 * A failure reported with an exit code of its own, such as `run`'s 125 for anything that went
 * wrong before the container ran: its cause is what gets printed.
 */
export class ExitWith extends Error {
  constructor(
    readonly exitCode: number,
    override readonly cause: unknown,
  ) {
    super('exit with', { cause });
    this.name = 'ExitWith';
  }
}
