import {
  ConfigurationError,
  type ContainerDriver,
  DRIVER_OPERATIONS,
  type DriverMiddleware,
  type LogLine,
  type OperationCall,
  signalOf,
  wrapDriver,
} from '@berth/core';

/** The keys of `C` that `D` already has with another type. */
type Clashes<D, C> = {
  [K in keyof C & keyof D]: D[K] extends C[K] ? never : K;
}[keyof C & keyof D];

/**
 * `D` with `C`'s members on top. Everything else `D` has (contract or not) stays in the type and
 * is reachable at run time. It stays a `D` (a wrapped MockDockerDriver is still a
 * MockDockerDriver to the compiler, its `faults` being the same type) unless `D` has a member of
 * one of `C`'s names with another type: then that member is replaced, and what remains is `D`'s
 * public shape.
 */
export type Controlled<D extends ContainerDriver, C> = [Clashes<D, C>] extends [never]
  ? D & Readonly<C>
  : // ContainerDriver restated, as the compiler cannot see through Omit of a generic driver.
    Omit<D, keyof C> & Readonly<C> & ContainerDriver;

/** What one layer does: around a promise-returning operation, and around streamLogs. */
export interface LayerHandlers {
  call(call: OperationCall, next: () => Promise<unknown>): Promise<unknown>;
  /**
   * Runs when iteration starts, not when streamLogs is called, as a driver's stream does
   * nothing before then; `open` gives the inner driver's stream.
   */
  stream(
    call: OperationCall<'streamLogs'>,
    open: () => Promise<AsyncIterable<LogLine>>,
  ): AsyncIterable<LogLine>;
}

function middlewareOf(handlers: LayerHandlers): DriverMiddleware {
  // One cast here keeps the handlers free of the contract's per-operation generics.
  return ((call: OperationCall, next: () => Promise<unknown>) =>
    call.operation === 'streamLogs'
      ? Promise.resolve(
          handlers.stream(
            call as OperationCall<'streamLogs'>,
            next as () => Promise<AsyncIterable<LogLine>>,
          ),
        )
      : handlers.call(call, () => next())) as unknown as DriverMiddleware;
}

/** `driver` with `handlers` around every contract operation; no members added. */
export function layer<D extends ContainerDriver>(driver: D, handlers: LayerHandlers): D {
  return wrapDriver(driver, middlewareOf(handlers));
}

/**
 * `driver` with `handlers` around every contract operation and `controls` answered on top of
 * it. Other members go to the wrapped driver through wrapDriver, bound to it: they work, but
 * call the driver directly, not through this layer.
 */
export function layerWithControls<D extends ContainerDriver, C extends object>(
  driver: D,
  handlers: LayerHandlers,
  controls: C,
): Controlled<D, C> {
  const wrapped = wrapDriver(driver, middlewareOf(handlers));
  const owns = (property: PropertyKey) => Object.hasOwn(controls, property);
  return new Proxy(wrapped, {
    get: (target, property) =>
      owns(property) ? controls[property as keyof C] : Reflect.get(target, property),
    has: (target, property) => owns(property) || Reflect.has(target, property),
  }) as unknown as Controlled<D, C>;
}

/**
 * The call's AbortSignal. Options that throw when read are the driver's to refuse with its
 * typed error, so the layer carries on without a signal rather than throwing first.
 */
export function signalOfCall(call: OperationCall): AbortSignal | undefined {
  try {
    return signalOf(call.operation, call.args);
  } catch {
    return undefined;
  }
}

/** Refuses what is not a ContainerDriver, naming the missing operations. */
export function requireDriver(driver: unknown, who: string): void {
  let missing: string[];
  try {
    missing =
      typeof driver === 'object' && driver !== null
        ? Object.keys(DRIVER_OPERATIONS).filter(
            (operation) => typeof (driver as Record<string, unknown>)[operation] !== 'function',
          )
        : Object.keys(DRIVER_OPERATIONS);
  } catch {
    missing = Object.keys(DRIVER_OPERATIONS);
  }
  if (missing.length === 0) return;
  const got = driver === null ? 'null' : typeof driver;
  throw new ConfigurationError(
    `${who} wraps a ContainerDriver, but the ${got} it was given lacks ${missing.join(', ')}. Pass a driver (a mock, a @berth/driver-* instance, or your own implementing ContainerDriver).`,
    [{ path: [], message: `missing contract methods: ${missing.join(', ')}`, stage: 'schema' }],
  );
}
