/*
 * Messages between the driver and a supervisor process, and the records the supervisor
 * writes. Types only: the supervisor runs as its own script and must not load driver code.
 */

/** What a supervisor needs to run one container process. */
export interface RunSpec {
  id: string;
  /** Increases with every start, so records of an earlier run are never mistaken for this one. */
  run: number;
  argv: string[];
  env: Record<string, string>;
  /** Host directory the first process of the chain starts in. */
  cwd: string;
  stdoutLog: string;
  stderrLog: string;
  runFile: string;
  exitFile: string;
  stopFile: string;
  /** The main process is bubblewrap's monitor, which stop must not SIGTERM (see stop). */
  sandboxed: boolean;
  cgroup?: {
    dirs: string[];
    membersFile?: string;
    oom?: { file: string; key: string };
  };
  /** Copied into the run record as is. */
  meta: Record<string, unknown>;
}

export type DriverMessage = { type: 'run'; spec: RunSpec } | { type: 'shutdown' };

export type SupervisorMessage =
  | { type: 'started'; id: string; run: RunRecord }
  | { type: 'failed'; id: string; runNumber: number; message: string; code?: string }
  | { type: 'exited'; id: string; exit: ExitRecord };

export interface RunRecord {
  run: number;
  pid: number;
  pidStartTime: number;
  supervisorPid: number;
  supervisorStartTime: number;
  startedAt: string;
  sandboxed: boolean;
  meta: Record<string, unknown>;
}

export interface ExitRecord {
  run: number;
  exitCode: number;
  signal: string | null;
  oomKilled: boolean;
  finishedAt: string;
  /** Written by a driver that found the supervisor gone, not by the supervisor itself. */
  lost?: boolean;
}

/** Written by stopContainer before it signals anything. */
export interface StopRecord {
  run: number;
  requestedAt: string;
  /** Epoch ms after which whatever is left is killed. */
  killAt: number;
}
