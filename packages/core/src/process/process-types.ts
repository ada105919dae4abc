import type { ContainerSignal } from '../schemas.js';
import type { ExecCallOptions } from '../types.js';

export interface SpawnOptions extends ExecCallOptions {
  /** Keep stdin open for `write()`; without it the process reads end-of-file at once. */
  stdin?: boolean;
  /**
   * Most bytes delivered from each stream (default 256 MiB): beyond it, output is read and
   * dropped, and the exit says `truncated`. Unread output is never buffered without bound:
   * a stream nobody reads holds the process back (as a full pipe does).
   */
  maxOutputBytes?: number;
}

export interface ProcessExit {
  exitCode: number;
  /** The signal that ended it, when one did. */
  signal?: string;
  oomKilled: boolean;
  /** It ran past its `timeout` and was killed. */
  timedOut: boolean;
  /** Output beyond `maxOutputBytes` was dropped, per stream. */
  truncated: { stdout: boolean; stderr: boolean };
}

export interface ProcessOutput {
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

/**
 * A process running in a container, its output streaming as it is produced. Read `stdout` and
 * `stderr` (each once), or `output()` for both interleaved, not both ways. `wait()` discards
 * what nobody is reading, so waiting alone never deadlocks on a full pipe.
 */
export interface ContainerProcess {
  /** The driver's id for it (Docker: the exec id; local: the pid), for `attach`. */
  readonly id: string;
  readonly containerId: string;
  /** Its pid inside the container, where the driver knows it. */
  readonly pid: number | undefined;
  readonly stdout: AsyncIterable<Uint8Array>;
  readonly stderr: AsyncIterable<Uint8Array>;
  output(): AsyncIterable<ProcessOutput>;
  /** Writes to stdin (spawned with `stdin: true`); resolves once the bytes are handed on. */
  write(data: string | Uint8Array): Promise<void>;
  /** Closes stdin: a program reading to end-of-file sees it and goes on. */
  closeStdin(): Promise<void>;
  wait(): Promise<ProcessExit>;
  /** Sends `signal` (default SIGKILL) to it; nothing happens once it has ended. */
  kill(signal?: ContainerSignal): Promise<void>;
}

export interface ProcessInfo {
  id: string;
  containerId: string;
  command: string[];
  running: boolean;
  exitCode?: number;
  pid?: number;
}

export type SpawnCallOptions = SpawnOptions;
export type { ContainerSignal };
