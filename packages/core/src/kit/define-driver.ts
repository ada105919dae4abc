import { KitDriver } from './kit-driver.js';
import type { DriverPolicy, DriverPrimitives } from './primitives.js';

/** A full driver from primitives written as a plain object. */
export function defineDriver(primitives: DriverPrimitives, policy?: DriverPolicy): KitDriver {
  return new KitDriver(primitives, policy);
}
