import type { ContainerConfigInput, ContainerDriver } from '@berth/core';

/** The groups of the conformance suite; each can be skipped by name with a reason. */
export type ConformanceGroup =
  | 'lifecycle'
  | 'queries'
  | 'logs'
  | 'exec'
  | 'health'
  | 'volumes'
  | 'networks'
  | 'errors'
  | 'idempotency'
  | 'concurrency'
  | 'capabilities'
  | 'cleanup';

export interface ConformanceOptions {
  /** Image every container is created from (drivers that do not pull just record it). */
  image: string;
  /**
   * argv prefix that runs a POSIX shell script, default `['sh', '-c']`. The suite's scripts use
   * only `echo` (with `$VAR` and `>&2`), `sleep N`, `exit N`, `true`, `false`, `pwd`, joined by `;`.
   */
  shell?: string[];
  /** Merged into every container config the suite makes (e.g. a relaxed user on a weak host). */
  baseConfig?: Partial<ContainerConfigInput>;
  /**
   * For the capability-honesty group: a driver, in strict enforcement, on a host that lacks at
   * least one capability the default config needs (the mocks take a `capabilities` override).
   * Without it the group uses the driver under test, when that one lacks something.
   */
  createWeakDriver?: (
    enforcement: 'strict' | 'best-effort',
  ) => ContainerDriver | Promise<ContainerDriver>;
  /** Groups to skip, each with the reason printed in the test name. */
  skip?: Partial<Record<ConformanceGroup, string>>;
  /** Per-test timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Called after the suite with the driver, e.g. to close connections. */
  teardown?: (driver: ContainerDriver) => void | Promise<void>;
}

export type DriverFactory = () => ContainerDriver | Promise<ContainerDriver>;
