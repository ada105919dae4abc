import { brandOf, ERROR_BRAND, hasBrand, LINEAGE, lineageOf } from './brand.js';

export interface DriverErrorOptions {
  cause?: unknown;
  /** Overrides the class's default retryability for this one instance. */
  retryable?: boolean;
}

export class DriverError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, code: string, retryable = false, options: DriverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? retryable;
    Object.defineProperty(this, LINEAGE, { value: lineageOf(new.target, DriverError) });
  }

  /**
   * True for an instance of this class or of a subclass, including one made by another loaded
   * copy of @berth/core: `ContainerNotFoundError.isInstance(e)` is false for a NetworkError,
   * and `DriverError.isInstance(e)` true for every Berth error.
   */
  static isInstance<T extends abstract new (...args: never[]) => DriverError>(
    this: T,
    value: unknown,
  ): value is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass it is called on.
    const brand = brandOf(this);
    if (brand === undefined) {
      throw new ConfigurationError(
        'isInstance was called without its class (detached from it?): call it on the class, as in ContainerNotFoundError.isInstance(value).',
      );
    }
    return hasBrand(value, brand);
  }
}

// Not a declared static: subclasses then set their own without an `override` modifier.
Object.defineProperty(DriverError, ERROR_BRAND, { value: '@berth/core/DriverError' });

/** One problem found while validating a configuration. */
export interface ValidationIssue {
  /** Where in the input, e.g. `['resources', 'cpu']`. */
  path: (string | number)[];
  message: string;
  /** Which validation stage found it. */
  stage: 'schema' | 'resources' | 'security';
}

// With DriverError rather than in a module of its own: isInstance throws it, and an import
// cycle between the two would leave `extends DriverError` to the order modules load in.
export class ConfigurationError extends DriverError {
  static readonly [ERROR_BRAND]: string = '@berth/core/ConfigurationError';

  readonly issues: ValidationIssue[];

  constructor(message: string, issues: ValidationIssue[] = [], options?: DriverErrorOptions) {
    super(message, 'CONFIGURATION_ERROR', false, options);
    this.issues = issues;
  }
}
