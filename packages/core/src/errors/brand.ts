/**
 * The identity of Berth error classes that survives two loaded copies of @berth/core, where
 * `instanceof` does not: every error carries its class lineage under a `Symbol.for` key.
 */

/**
 * Set as a static string on an error class to give it a stable identity for `isInstance`
 * (e.g. `static readonly [ERROR_BRAND] = 'my-package/QuotaError'`). Without one a class is
 * known by its name, which two unrelated packages may share and a minifier may change.
 */
export const ERROR_BRAND: unique symbol = Symbol.for('berth.error-brand');

// Symbol.for, not a module-local symbol: a plugin built against another copy of @berth/core
// throws errors whose classes are not ours, and they must still be recognised. Each error
// carries the brands of its class and every ancestor up to DriverError, so `X.isInstance`
// can answer for X and its subclasses without instanceof.
export const LINEAGE = Symbol.for('berth.error-lineage');

/** A class's brand: its ERROR_BRAND, else its name; undefined for what is not a class. */
export function brandOf(errorClass: unknown): string | undefined {
  if (typeof errorClass !== 'function') return undefined;
  const own = Object.hasOwn(errorClass, ERROR_BRAND)
    ? (errorClass as unknown as Record<symbol, unknown>)[ERROR_BRAND]
    : undefined;
  return typeof own === 'string' ? own : errorClass.name;
}

const lineages = new WeakMap<object, readonly string[]>();

/** The brands from `root` down to `leaf`, e.g. DriverError's, then ContainerNotFoundError's. */
export function lineageOf(leaf: object, root: object): readonly string[] {
  const cached = lineages.get(leaf);
  if (cached) return cached;
  const brands: string[] = [];
  for (let current: unknown = leaf; typeof current === 'function'; ) {
    brands.unshift(brandOf(current) as string);
    if (current === root) break;
    current = Object.getPrototypeOf(current);
  }
  const lineage = Object.freeze(brands);
  lineages.set(leaf, lineage);
  return lineage;
}

/** True when `value` carries `brand` in its lineage. Never throws. */
export function hasBrand(value: unknown, brand: string): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  try {
    const lineage = (value as Record<symbol, unknown>)[LINEAGE];
    return Array.isArray(lineage) && lineage.includes(brand);
  } catch {
    // A Proxy whose trap throws is not one of ours, whatever else it is.
    return false;
  }
}
