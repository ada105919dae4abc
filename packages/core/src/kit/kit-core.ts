import { CONTRACT_VERSION } from '../contract-version.js';
import {
  ContainerNotFoundError,
  NetworkNotFoundError,
  VolumeNotFoundError,
} from '../errors/index.js';
import type { KeeperDriver } from '../lifetime/lifetime-keeper.js';
import { isObjectId, requireObjectId } from '../object-ids.js';
import { callSignal } from '../plain-data.js';
import type { DriverCapabilities, EnforcementMode, OperationOptions } from '../types.js';
import { CallSignal } from './call-signal.js';
import { fullCapabilities, requireFeature } from './container-control.js';
import { type ParsedPolicy, parseDriverPolicy } from './driver-policy.js';
import { KitLifetimes } from './kit-lifetimes.js';
import type {
  DriverPolicy,
  DriverPrimitives,
  OptionalFeature,
  PrimitiveContext,
  TimedOperation,
} from './primitives.js';

export type ObjectKind = 'container' | 'volume' | 'network';

const NOT_FOUND = {
  container: (id: string) => new ContainerNotFoundError(id),
  volume: (id: string) => new VolumeNotFoundError(id),
  network: (id: string) => new NetworkNotFoundError(id),
};

/**
 * What every part of the kit shares: the primitives, the parsed policy, running a primitive
 * under the call's signal and timeout, id checks, and the capabilities as the kit reports them.
 * Its protected members are `kit`-prefixed so a driver's own members never clash with them.
 */
export abstract class KitCore {
  readonly name: string;
  readonly version: string;
  readonly contractVersion = CONTRACT_VERSION;
  readonly enforcement: EnforcementMode;
  protected readonly primitives: DriverPrimitives;
  protected readonly kitPolicy: ParsedPolicy;
  protected readonly kitStartedAt = Date.now();
  protected readonly kitLifetimes: KitLifetimes;
  #closing: Promise<void> | undefined;

  constructor(primitives: DriverPrimitives, policy: DriverPolicy = {}) {
    this.primitives = primitives;
    this.name = primitives.name;
    this.version = primitives.version;
    this.kitPolicy = parseDriverPolicy(policy);
    this.enforcement = this.kitPolicy.enforcement ?? 'strict';
    this.kitLifetimes = new KitLifetimes(
      primitives.lifetimes,
      // The keeper works through the full driver (the class extending this one).
      () => this as unknown as KeeperDriver,
      async () => (await this.kitCapabilities({ signal: undefined })).processAttach,
    );
  }

  /** Runs one primitive under the call's signal: checked before, and after it returned. */
  protected async kitCall<T>(
    operation: TimedOperation,
    options: unknown,
    what: string,
    body: (ctx: PrimitiveContext, call: CallSignal) => Promise<T>,
  ): Promise<T> {
    const call = new CallSignal(
      callSignal(options, what),
      operation,
      this.kitPolicy.timeouts[operation],
    );
    call.check();
    try {
      const result = await body({ signal: call.signal }, call);
      call.check();
      return result;
    } catch (error) {
      throw call.explain(error);
    }
  }

  /** An id for a change: one that cannot be an id is the caller's mistake. */
  protected kitTarget(id: unknown, kind: ObjectKind): string {
    return requireObjectId(id, kind);
  }

  /** An id for a read: one that cannot be an id names nothing there is. */
  protected kitLookup(id: unknown, kind: ObjectKind): string {
    if (!isObjectId(id)) throw NOT_FOUND[kind](id as string);
    return id;
  }

  protected async kitCapabilities(ctx: PrimitiveContext): Promise<DriverCapabilities> {
    return fullCapabilities(this.primitives, await this.primitives.capabilities(ctx));
  }

  /** An optional feature's call on one container: the id checked, the capability required. */
  protected kitFeature<T>(
    operation: TimedOperation,
    options: unknown,
    feature: OptionalFeature,
    id: unknown,
    run: (target: string, ctx: PrimitiveContext) => Promise<T> | undefined,
    read = false,
  ): Promise<T> {
    return this.kitCall(operation, options, `${operation} options`, async (ctx) => {
      const target = read ? this.kitLookup(id, 'container') : this.kitTarget(id, 'container');
      requireFeature(await this.kitCapabilities(ctx), feature, this.name);
      // Reads are not use: the keeper's own look at a container's processes must not count.
      if (!read) this.kitLifetimes.touch(target);
      return run(target, ctx) as Promise<T>;
    });
  }

  capabilities(options?: OperationOptions): Promise<DriverCapabilities> {
    return this.kitCall('capabilities', options, 'capabilities options', (ctx) =>
      this.kitCapabilities(ctx),
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.kitLifetimes.close().then(() => this.primitives.close?.());
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
