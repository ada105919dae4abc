import {
  ConfigurationError,
  ERROR_BRAND,
  isRetryableError,
  type UnsupportedFeature,
} from '@berth/core';

/** Why one configured driver was passed over for a request. */
export interface DriverRejection {
  name: string;
  reasons: string[];
  /** What the config asks for that this driver cannot enforce, as core reports it. */
  unenforced?: UnsupportedFeature[];
  /** The error its `capabilities()` call threw, when that is why. */
  error?: unknown;
}

/**
 * No configured driver can run the request as asked. A ConfigurationError: the request and
 * the drivers configured do not match, and code that handles a refused config handles this.
 * It is retryable only when some driver was passed over because its capabilities call failed
 * with a retryable error (its backend was unreachable): then trying later can help, where a
 * request past every driver's limits or enforcement never fits however often it is tried.
 */
export class NoDriverFitsError extends ConfigurationError {
  static override readonly [ERROR_BRAND]: string = '@berth/session/NoDriverFitsError';

  constructor(
    readonly rejections: DriverRejection[],
    what: string,
  ) {
    const list = rejections.map((r) => `  - ${r.name}: ${r.reasons.join('; ')}`).join('\n');
    super(
      `No configured driver fits ${what}:\n${list}\nAsk for what one of them gives (less cpu, memory, disk or pids; without what it cannot enforce, e.g. security.readOnly: false where a writable root filesystem is acceptable), or configure a driver that fits.`,
      [],
      { retryable: rejections.some((r) => r.error !== undefined && isRetryableError(r.error)) },
    );
  }
}
