import type { ContainerConfigInput, ContainerDriver, ContainerInstance } from '@berth/core';

/** The groups of the conformance suite; each can be skipped by name with a reason. */
export type ConformanceGroup =
  | 'lifecycle'
  | 'queries'
  | 'logs'
  | 'exec'
  | 'health'
  | 'control'
  | 'readiness'
  | 'processes'
  | 'files'
  | 'lifetimes'
  | 'volumes'
  | 'networks'
  | 'errors'
  | 'idempotency'
  | 'concurrency'
  | 'security'
  | 'capabilities'
  | 'cleanup'
  | 'inputs';

export interface ConformanceOptions {
  /** Image every container is created from (drivers that do not pull just record it). */
  image: string;
  /**
   * argv prefix that runs a POSIX shell script, default `['sh', '-c']`. Most groups' scripts use
   * only `echo` (with `$VAR` and `>&2`), `sleep N`, `exit N`, `true`, `false`, `pwd`, joined by `;`;
   * the security group's probes need a fuller shell (loops, functions, `read`, `kill`, `tr`...).
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
  /**
   * Single tests to skip: exact test title → reason, printed in the skipped test's name. A title
   * the suite does not have is an error, so a typo cannot silently skip nothing.
   */
  skipTests?: Record<string, string>;
  /** What the security group needs to know about the driver and its host. */
  security?: SecurityConformanceOptions;
  /**
   * For the readiness group's port and HTTP waits: a shell script that serves HTTP on `port`
   * inside the container, answering `GET /` with a body containing `berth-ready` and 404 for
   * other paths, and config it needs (e.g. a writable root). Without it those waits are skipped.
   */
  httpServer?: { script: string; port: number; config?: Partial<ContainerConfigInput> };
  /**
   * For the files group: a directory the container may write (default `/tmp`), config it
   * needs for that (e.g. a writable root), and whether files work on a stopped container
   * (default true).
   */
  files?: { dir?: string; config?: Partial<ContainerConfigInput>; whenStopped?: boolean };
  /** Per-test timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Called after the suite with the driver, e.g. to close connections. */
  teardown?: (driver: ContainerDriver) => void | Promise<void>;
}

/**
 * For the security group. Tests that need an option nobody gave are skipped, saying which.
 */
export interface SecurityConformanceOptions {
  /**
   * User the group's containers run as (default: the config's, normally 65534:65534). The
   * process-isolation test sends `kill -9 -1` and SIGSTOP from inside a container: where a driver
   * fails it, they reach every process of this user on the host, so give one nothing else runs as.
   */
  user?: string;
  /**
   * A shared library that, each time it is loaded, appends a line to a file in `markerDir`: the
   * process's effective uid in decimal, then optionally a space and anything (e.g. the program).
   * The path of that file must be compiled in, not read from the environment (the environment
   * is what is under test); `markerDir` must be writable by anyone (mode 1777) and the library
   * readable by the container's user.
   */
  preloadLibrary?: { path: string; markerDir: string };
  /** A host directory the driver under test allows bind-mount sources under. */
  bindRoot?: string;
  /**
   * argv that exits 0 if and only if it opens a TCP connection to host:port within a few
   * seconds; default `['nc', '-z', '-w', '2', host, port]`.
   */
  connect?: (host: string, port: number) => string[];
  /** argv that accepts one TCP connection on `port`; default `['nc', '-l', '-p', port]`. */
  listen?: (port: number) => string[];
  /**
   * The address one container on a network reaches another at; default the peer's name
   * (`127.0.0.1` on a driver whose containers share a network namespace per network).
   */
  peerAddress?: (peer: ContainerInstance) => string;
}

export type DriverFactory = () => ContainerDriver | Promise<ContainerDriver>;
