import {
  type DriverErrorOptions,
  ERROR_BRAND,
  ResourceLimitError,
  TimeoutError,
} from '@berth/core';
import { describeAmount, type PoolResource, type Units, unitsToAmount } from './amounts.js';

/**
 * A pool (or a reservation) cannot give what was asked for. A ResourceLimitError, so code that
 * handles a driver's limits handles this too: `resource` names what ran short, `limit` how
 * much of it was available to the request, `requested` how much it asked for.
 */
export class PoolLimitError extends ResourceLimitError {
  static override readonly [ERROR_BRAND]: string = '@berth/session/PoolLimitError';

  constructor(
    readonly owner: string,
    resource: PoolResource,
    available: number,
    requested: number,
    message: string,
    options?: DriverErrorOptions,
  ) {
    super(resource, available, requested, options);
    // ResourceLimitError's own message says what, not why nor what to do about it.
    this.message = message;
  }
}

/**
 * A `wait: true` request was not served within its `timeoutMs`. A TimeoutError, so retryable:
 * capacity may free later, where a PoolLimitError (the request can never fit, or the caller
 * chose not to wait) is not. `cause` is the PoolLimitError saying what was short at the end.
 */
export class PoolWaitTimeoutError extends TimeoutError {
  static override readonly [ERROR_BRAND]: string = '@berth/session/PoolWaitTimeoutError';

  constructor(
    readonly owner: string,
    ms: number,
    readonly shortfall: PoolLimitError,
  ) {
    super('pool reserve', ms, { cause: shortfall });
    this.message = `'${owner}' waited ${ms} ms for pool capacity and did not get it: ${shortfall.message}`;
  }
}

/** A PoolLimitError for `resource`; `message` gets the request and the limit with their unit. */
export function limitError(
  owner: string,
  resource: PoolResource,
  limit: Units,
  requested: Units,
  message: (asked: string, limit: string) => string,
): PoolLimitError {
  const show = (units: Units) =>
    describeAmount(resource, unitsToAmount(resource, units[resource] ?? 0));
  return new PoolLimitError(
    owner,
    resource,
    unitsToAmount(resource, limit[resource] ?? 0),
    unitsToAmount(resource, requested[resource] ?? 0),
    message(show(requested), show(limit)),
  );
}

/** Says that `ahead` earlier requests come first, for a message; empty when none do. */
export function aheadNote(ahead: number): string {
  if (ahead === 0) return '';
  return `${ahead} earlier request${ahead === 1 ? ' waits' : 's wait'} for capacity and ${ahead === 1 ? 'comes' : 'come'} first. `;
}
