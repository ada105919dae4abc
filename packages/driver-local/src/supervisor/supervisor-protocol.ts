/*
 * Messages between the driver and a supervisor process. Types and constants only: the
 * supervisor runs as its own program and must not load driver code. The records it writes are
 * in state/run-records.ts.
 */
import type { ExitRecord, RunMeta, RunRecord } from '../state/run-records.js';

/** What a supervisor needs to run one container process. */
export interface RunSpec {
  id: string;
  /** Increases with every start, so records of an earlier run are never mistaken for this one. */
  run: number;
  /** The chain to spawn, and its environment; both empty for a warm start. */
  argv: string[];
  env: Record<string, string>;
  /** Host directory the first process of the chain starts in. */
  cwd: string;
  stdoutLog: string;
  stderrLog: string;
  runFile: string;
  /** An empty file made ahead of time to write the run record through, if it is there. */
  runDraft: string;
  exitFile: string;
  stopFile: string;
  /**
   * Bind-mount sources (real paths, as the driver checked them) to open as handles and hand the
   * chain as descriptors 3, 4, ... in this order: bubblewrap mounts the handles.
   */
  mountSources?: { path: string; directory: boolean }[];
  /** The main process is bubblewrap's monitor, which stop must not SIGTERM (see stop). */
  sandboxed: boolean;
  cgroup?: {
    dirs: string[];
    membersFile?: string;
    oom?: { file: string; key: string };
  };
  /** Copied into the run record as is. */
  meta: RunMeta;
  /**
   * Run in the warm sandbox prepared for this id instead of spawning argv: the script its stub
   * reads on stdin. The driver has written the run record already and waits for no reply; if
   * the sandbox is gone, the supervisor records the run as ended (lost, exit code 255).
   */
  warmScript?: string;
}

/**
 * A warm sandbox: the container's whole chain (cgroup join, bubblewrap, setpriv) made ahead of
 * time around a stub that waits for its program. Its cgroups are the supervisor's to remove
 * when it is discarded or the supervisor ends; if it dies on its own, they are the driver's.
 */
export interface WarmSpec {
  id: string;
  argv: string[];
  cwd: string;
  cgroupDirs: string[];
  /** What the stub prints on stdout once it runs inside the finished chain. */
  readyLine: string;
}

/** The process a warm sandbox's container will have: what its run record names. */
export interface WarmProcess {
  pid: number;
  pidStartTime: number;
  supervisorPid: number;
  supervisorStartTime: number;
}

export const WARM_SANDBOX_GONE = 'WARM_SANDBOX_GONE';

export type DriverMessage =
  | { type: 'run'; spec: RunSpec }
  | { type: 'prepare'; warm: WarmSpec }
  | { type: 'discard'; id: string }
  | { type: 'shutdown' };

export type SupervisorMessage =
  | { type: 'started'; id: string; run: RunRecord }
  | { type: 'failed'; id: string; runNumber: number; message: string; code?: string }
  | { type: 'exited'; id: string; exit: ExitRecord }
  | { type: 'prepared'; id: string; process: WarmProcess }
  /** A warm sandbox ended before it was given a container (discarded, or died). */
  | { type: 'warm-gone'; id: string; discarded: boolean; detail?: string };
