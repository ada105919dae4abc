import {
  DRIVER_OPERATIONS,
  type DriverOperation,
  isDriverOperation,
  type OperationArgs,
  type OperationResult,
} from './operations.js';
import type { ContainerDriver, LogLine } from './types.js';

export interface OperationCall<Op extends DriverOperation = DriverOperation> {
  operation: Op;
  args: OperationArgs<Op>;
  /** The driver being wrapped (innermost), for name and version. */
  driver: ContainerDriver;
}

export type NextFunction<Op extends DriverOperation = DriverOperation> = (
  args?: OperationArgs<Op>,
) => Promise<OperationResult<Op>>;

/**
 * A cross-cutting concern around every driver operation. Call `next()` to continue (optionally
 * with changed arguments); return or throw what the caller should see. For `streamLogs` the
 * result is the AsyncIterable itself.
 */
export type DriverMiddleware = <Op extends DriverOperation>(
  call: OperationCall<Op>,
  next: NextFunction<Op>,
) => Promise<OperationResult<Op>>;

async function* lazyStream(source: Promise<AsyncIterable<LogLine>>): AsyncGenerator<LogLine> {
  yield* await source;
}

/**
 * Wraps `driver` so every contract operation runs through `middleware`, the first given being
 * the outermost. Everything else on the driver (its own extra methods and properties) is passed
 * through untouched, bound to the driver.
 */
export function wrapDriver<D extends ContainerDriver>(
  driver: D,
  ...middleware: DriverMiddleware[]
): D {
  const invoke = <Op extends DriverOperation>(
    operation: Op,
    index: number,
    args: OperationArgs<Op>,
  ): Promise<OperationResult<Op>> => {
    if (index === middleware.length) {
      const method = driver[operation] as (...a: unknown[]) => unknown;
      // Promise.resolve().then turns a synchronous throw into a rejection, like an async method.
      return Promise.resolve().then(() => method.apply(driver, args)) as Promise<
        OperationResult<Op>
      >;
    }
    const layer = middleware[index] as DriverMiddleware;
    const call: OperationCall<Op> = { operation, args, driver };
    return layer(call, (nextArgs) => invoke(operation, index + 1, nextArgs ?? args));
  };

  const wrapped = new Map<DriverOperation, (...args: unknown[]) => unknown>();
  for (const operation of Object.keys(DRIVER_OPERATIONS) as DriverOperation[]) {
    wrapped.set(
      operation,
      operation === 'streamLogs'
        ? (...args: unknown[]) =>
            lazyStream(
              invoke('streamLogs', 0, args as OperationArgs<'streamLogs'>) as Promise<
                AsyncIterable<LogLine>
              >,
            )
        : (...args: unknown[]) => invoke(operation, 0, args as OperationArgs<typeof operation>),
    );
  }

  return new Proxy(driver, {
    get(target, property, receiver) {
      if (isDriverOperation(property)) return wrapped.get(property);
      // The driver itself as `this`: a getter reading its #private fields fails on a proxy.
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
