import { DriverError, type DriverErrorOptions, ERROR_BRAND } from '@berth/core';

/** The circuit is open: the call was refused at once, without reaching the driver. */
export class CircuitOpenError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/resilience/CircuitOpenError';

  constructor(
    readonly operation: string,
    options?: DriverErrorOptions,
  ) {
    super(
      `Circuit open: ${operation} refused without calling the driver, which failed too often recently. It is retried automatically once the reset timeout has passed.`,
      'CIRCUIT_OPEN',
      false,
      options,
    );
  }
}

/** Every attempt failed. `cause` is the last attempt's error; `attempts` how many were made. */
export class RetryError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/resilience/RetryError';

  constructor(
    readonly operation: string,
    readonly attempts: number,
    readonly lastError: DriverError,
    reason: 'exhausted' | 'budget',
  ) {
    super(
      `${operation} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}${
        reason === 'budget' ? ' (retry budget spent: too many recent calls failed)' : ''
      }: ${lastError.message}`,
      'RETRIES_EXHAUSTED',
      false,
      { cause: lastError },
    );
  }
}
