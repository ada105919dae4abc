import { DriverError, type DriverErrorOptions, ERROR_BRAND, isRetryableError } from '@berth/core';

/**
 * A session that could not start. Everything it had made was removed again, in reverse order,
 * before this was thrown: `rolledBack` lists what (`container <service> <id>`, `network <name>`,
 * `volume <name>`), `cause` is the failure that started the rollback, and `leftBehind` anything
 * the rollback itself could not remove (empty unless the backend failed too).
 */
export class SessionStartError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/session/SessionStartError';

  constructor(
    readonly sessionId: string,
    readonly rolledBack: string[],
    readonly leftBehind: string[],
    cause: unknown,
    options: DriverErrorOptions = {},
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `Session ${sessionId} did not start: ${why}. Rolled back: ${
        rolledBack.length > 0 ? rolledBack.join(', ') : 'nothing had been made'
      }${leftBehind.length > 0 ? `. Could not remove: ${leftBehind.join(', ')}` : ''}.`,
      'SESSION_START_FAILED',
      isRetryableError(cause),
      { ...options, cause },
    );
  }
}
