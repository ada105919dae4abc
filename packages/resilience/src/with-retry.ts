import { randomUUID } from 'node:crypto';
import {
  type ContainerConfigInput,
  type ContainerDriver,
  type ContainerInstance,
  type DriverError,
  type DriverMiddleware,
  type DriverOperation,
  isAbortError,
  type NetworkConfigInput,
  type OperationArgs,
  type OperationCall,
  type OperationResult,
  signalOf,
  TimeoutError,
  toDriverError,
  type VolumeConfigInput,
  withSignal,
} from '@berth/core';
import pRetry from 'p-retry';
import { RetryError } from './errors.js';
import type { ResilienceEvents } from './events.js';
import { DEFAULT_POLICIES, type OperationPolicy } from './policies.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

/** Label that ties the attempts of one createContainer call together. */
export const IDEMPOTENCY_LABEL = 'io.berth.idempotency-key';

export interface RetryInfo {
  operation: DriverOperation;
  /** The attempt that failed (1 = the first call). */
  attempt: number;
  error: DriverError;
  delayMs: number;
}

export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** Delay before the first retry. Default 100 ms. */
  minTimeoutMs?: number;
  /** Growth of the delay per retry. Default 2 (100, 200, 400 ms). */
  factor?: number;
  maxTimeoutMs?: number;
  /** Multiply each delay by a random 1–2, to spread out clients retrying together. */
  jitter?: boolean;
  onRetry?: (info: RetryInfo) => void;
  /** Abort and fail (retryably) an attempt that takes longer than this. */
  attemptTimeoutMs?: number;
  /** Shared by every call through the wrapped driver; `false` turns it off. */
  budget?: RetryBudgetOptions | false;
  /** Per-operation overrides of the default policy. */
  policies?: Partial<Record<DriverOperation, Partial<OperationPolicy>>>;
  events?: ResilienceEvents;
}

class NotRetryable extends Error {}

function attemptSignal(
  caller: AbortSignal | undefined,
  timeoutMs: number | undefined,
  operation: DriverOperation,
): { signal: AbortSignal | undefined; done: () => void; timedOut: Promise<never> } {
  if (timeoutMs === undefined) {
    return { signal: caller, done: () => {}, timedOut: new Promise<never>(() => {}) };
  }
  const controller = new AbortController();
  let fail: (error: TimeoutError) => void = () => {};
  const timedOut = new Promise<never>((_, reject) => {
    fail = reject;
  });
  timedOut.catch(() => {});
  const timer = setTimeout(() => {
    const error = new TimeoutError(operation, timeoutMs);
    controller.abort(error);
    fail(error);
  }, timeoutMs);
  return {
    signal: caller ? AbortSignal.any([caller, controller.signal]) : controller.signal,
    done: () => clearTimeout(timer),
    timedOut,
  };
}

/** How long a timed-out create may take to settle (undo or finish) before the next attempt. */
const CREATE_SETTLE_MS = 2000;

/** How `promise` ended within `ms`: its value or error, or not done. */
async function settled<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ done: boolean; value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ done: true, value }),
        (error: unknown) => ({ done: true, error: error ?? new Error('rejected') }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first-attempt arguments of a create: a config carrying a fresh idempotency key. */
function withIdempotencyKey(args: OperationArgs<'createContainer'>): {
  args: OperationArgs<'createContainer'>;
  key: string;
} {
  const [config, ...rest] = args;
  const existing = config.labels?.[IDEMPOTENCY_LABEL];
  const key = existing ?? randomUUID();
  const labelled: ContainerConfigInput = {
    ...config,
    labels: { ...config.labels, [IDEMPOTENCY_LABEL]: key },
  };
  return { args: [labelled, ...rest] as OperationArgs<'createContainer'>, key };
}

/** What an earlier, failed attempt of this call may have done after all. */
async function earlierEffect(
  driver: ContainerDriver,
  operation: DriverOperation,
  args: readonly unknown[],
  key: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ found: true; value: unknown } | { found: false }> {
  const options = signal ? { signal } : {};
  if (operation === 'createContainer' && key) {
    const [found] = await driver.listContainers({ label: { [IDEMPOTENCY_LABEL]: key } }, options);
    return found ? { found: true, value: found } : { found: false };
  }
  if (operation === 'createVolume') {
    const name = (args[0] as VolumeConfigInput).name;
    const found = (await driver.listVolumes(options)).find((v) => v.name === name);
    return found ? { found: true, value: found } : { found: false };
  }
  if (operation === 'createNetwork') {
    const name = (args[0] as NetworkConfigInput).name;
    const found = (await driver.listNetworks(options)).find((n) => n.name === name);
    return found ? { found: true, value: found } : { found: false };
  }
  return { found: false };
}

/**
 * After a create was given up on: the container its key names, if one appeared (looked for
 * again a moment later, as an attempt cut off by its timeout may still be finishing), or none.
 * When the caller has aborted, a container found is removed rather than returned.
 */
async function settleCreate(
  driver: ContainerDriver,
  key: string,
  abandoned: boolean,
): Promise<ContainerInstance | undefined> {
  for (const delay of [0, 250, 750]) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    let found: ContainerInstance | undefined;
    try {
      [found] = await driver.listContainers({ label: { [IDEMPOTENCY_LABEL]: key } });
    } catch {
      return undefined;
    }
    if (!found) continue;
    if (!abandoned) return found;
    await driver.removeContainer(found.id, { force: true }).catch(() => undefined);
  }
  return undefined;
}

const GONE_AFTER_REMOVE: Partial<Record<DriverOperation, string>> = {
  removeContainer: 'CONTAINER_NOT_FOUND',
  removeVolume: 'VOLUME_NOT_FOUND',
  removeNetwork: 'NETWORK_NOT_FOUND',
};

/**
 * Retries retryable failures with exponential backoff (p-retry), making non-idempotent
 * operations safe first. The caller's AbortSignal stops it at once and bounds every attempt.
 */
export function withRetry(options: RetryOptions = {}): DriverMiddleware {
  const retries = options.retries ?? 3;
  const budget = options.budget === false ? undefined : new RetryBudget(options.budget);
  const policyOf = (operation: DriverOperation): OperationPolicy => ({
    ...DEFAULT_POLICIES[operation],
    ...options.policies?.[operation],
  });

  const middleware = async <Op extends DriverOperation>(
    call: OperationCall<Op>,
    next: (args?: OperationArgs<Op>) => Promise<OperationResult<Op>>,
  ): Promise<OperationResult<Op>> => {
    const { operation } = call;
    const policy = policyOf(operation);
    if (!policy.retry) return next();

    const caller = signalOf(operation, call.args);
    let args = call.args;
    let key: string | undefined;
    if (operation === 'createContainer') {
      const keyed = withIdempotencyKey(call.args as OperationArgs<'createContainer'>);
      args = keyed.args as OperationArgs<Op>;
      key = keyed.key;
    }
    let budgetSpent = false;
    let attempts = 0;

    const attempt = async (attemptNumber: number): Promise<OperationResult<Op>> => {
      attempts = attemptNumber;
      const timeout = policy.attemptTimeout ? options.attemptTimeoutMs : undefined;
      const scoped = attemptSignal(caller, timeout, operation);
      const attemptArgs = scoped.signal ? withSignal(operation, args, scoped.signal) : args;
      try {
        if (attemptNumber > 1) {
          const earlier = await Promise.race([
            earlierEffect(call.driver, operation, args, key, scoped.signal),
            scoped.timedOut,
          ]);
          if (earlier.found) {
            const id = (earlier.value as { id: string }).id;
            options.events?.emit('recovered', { operation, attempt: attemptNumber, id });
            return earlier.value as OperationResult<Op>;
          }
        }
        const pending = next(attemptArgs as OperationArgs<Op>);
        let result: OperationResult<Op>;
        try {
          result = await Promise.race([pending, scoped.timedOut]);
        } catch (error) {
          // A create cut off by its timeout was told to abort, and a driver may then undo what
          // it made, or finish anyway: wait (briefly) for which, so the next attempt neither
          // duplicates it nor hands back a container about to be removed.
          if (operation !== 'createContainer' || !(error instanceof TimeoutError)) throw error;
          const late = await settled(pending, CREATE_SETTLE_MS);
          if (!late.done || late.error !== undefined) throw error;
          result = late.value as OperationResult<Op>;
        }
        budget?.onSuccess();
        return result;
      } catch (thrown) {
        if (caller?.aborted) throw caller.reason;
        const error = toDriverError(thrown);
        if (attemptNumber > 1 && GONE_AFTER_REMOVE[operation] === error.code) {
          // An earlier attempt removed it and only the reply was lost.
          return undefined as OperationResult<Op>;
        }
        if (!error.retryable) throw new NotRetryable(undefined, { cause: error });
        budget?.onFailure();
        throw error;
      } finally {
        scoped.done();
      }
    };

    try {
      return await pRetry(attempt, {
        retries,
        minTimeout: options.minTimeoutMs ?? 100,
        factor: options.factor ?? 2,
        maxTimeout: options.maxTimeoutMs ?? Number.POSITIVE_INFINITY,
        randomize: options.jitter ?? false,
        ...(caller ? { signal: caller } : {}),
        shouldRetry: ({ error }) => {
          if (error instanceof NotRetryable) return false;
          if (budget && !budget.canRetry) {
            budgetSpent = true;
            options.events?.emit('budget:exhausted', { operation, error: error as DriverError });
            return false;
          }
          return true;
        },
        onFailedAttempt: ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          if (error instanceof NotRetryable || retriesLeft === 0) return;
          if (budget && !budget.canRetry) return;
          const info = {
            operation,
            attempt: attemptNumber,
            error: error as DriverError,
            delayMs: retryDelay,
          };
          options.onRetry?.(info);
          options.events?.emit('retry', info);
        },
      });
    } catch (thrown) {
      // A create given up on may still have happened: the caller gets the container, or, if it
      // no longer wants one, the container goes. Never one the caller does not know about.
      // Only where an attempt may have reached the driver with its outcome unknown: a first
      // attempt refused outright (an invalid config) made nothing.
      const uncertain = attempts > 1 || !(thrown instanceof NotRetryable);
      if (operation === 'createContainer' && key && uncertain) {
        const settled = await settleCreate(call.driver, key, caller?.aborted === true);
        if (settled) {
          options.events?.emit('recovered', { operation, attempt: attempts, id: settled.id });
          return settled as OperationResult<Op>;
        }
      }
      if (thrown instanceof NotRetryable) throw thrown.cause;
      if (caller?.aborted || isAbortError(thrown)) throw thrown;
      const error = toDriverError(thrown);
      if (attempts <= 1) throw error;
      throw new RetryError(operation, attempts, error, budgetSpent ? 'budget' : 'exhausted');
    }
  };
  return middleware as DriverMiddleware;
}
