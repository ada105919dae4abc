import type {
  ContainerConfig,
  ContainerInstance,
  ContainerState,
  ContainerStatus,
  UnsupportedFeature,
} from '@berth/core';
import { isSameLiveProcess } from '../host/process-identity.js';
import type { BindMount, DirectoryOverlay } from '../isolation/sandbox-command.js';
import type { ResolvedUser } from '../isolation/user-spec.js';
import { readJsonSync, type StateLayout } from '../state/json-files.js';
import type { ExitRecord, RunRecord, StopRecord } from '../supervisor/supervisor-protocol.js';
import type { HealthRecord } from './health-monitor.js';

/** container.json: everything decided at create time. */
export interface ContainerRecord {
  id: string;
  name: string;
  sessionId: string;
  tenantId?: string;
  image: string;
  createdAt: string;
  labels: Record<string, string>;
  config: ContainerConfig;
  /**
   * 0 as created; raised only by a start that failed (earlier versions raised it on every
   * start). The next start takes one more than this or the run in run.json, whichever is larger.
   */
  run: number;
  /** Program and arguments: entrypoint followed by command. */
  command: string[];
  /** Working directory as the process sees it. */
  cwd: string;
  env: Record<string, string>;
  user: ResolvedUser;
  /** Supplementary groups: those of the volumes it mounts. */
  groups?: number[];
  /** The user is an identity of the container's own, handed out by the driver (and given back on removal). */
  ownIdentity?: boolean;
  /** The network namespace of its internal network, when it is on one. */
  netns?: string;
  mounts: BindMount[];
  overlays: DirectoryOverlay[];
  unenforced: UnsupportedFeature[];
}

export interface ContainerSnapshot {
  record: ContainerRecord;
  run?: RunRecord;
  exit?: ExitRecord;
  stop?: StopRecord;
  health?: HealthRecord;
  status: ContainerStatus;
  /** The supervisor of the current run is alive (it will record the exit). */
  supervised: boolean;
}

/** Reads a container's records and works out its status from what is on disk and in /proc. */
export async function loadSnapshot(
  layout: StateLayout,
  id: string,
): Promise<ContainerSnapshot | undefined> {
  // Small files read synchronously: a snapshot is taken several times per operation, and a
  // round trip through the thread pool costs more than the read itself.
  const record = readJsonSync<ContainerRecord>(layout.containerFile(id));
  if (!record) return undefined;
  const snapshot: ContainerSnapshot = { record, status: 'created', supervised: false };
  const run = readJsonSync<RunRecord>(layout.runFile(id));
  if (!run) return snapshot;
  snapshot.run = run;
  if (record.config.healthcheck) {
    const health = readJsonSync<HealthRecord>(layout.healthFile(id));
    if (health?.run === run.run) snapshot.health = health;
  }
  const exit = readJsonSync<ExitRecord>(layout.exitFile(id));
  if (exit?.run === run.run) {
    snapshot.exit = exit;
    const stop = readJsonSync<StopRecord>(layout.stopFile(id));
    if (stop?.run === run.run) snapshot.stop = stop;
    snapshot.status = snapshot.stop ? 'stopped' : 'exited';
    return snapshot;
  }
  const stop = readJsonSync<StopRecord>(layout.stopFile(id));
  if (stop?.run === run.run) snapshot.stop = stop;
  snapshot.supervised = await isSameLiveProcess(run.supervisorPid, run.supervisorStartTime);
  if (snapshot.supervised || (await isSameLiveProcess(run.pid, run.pidStartTime))) {
    snapshot.status = 'running';
  } else {
    // Neither the process nor its supervisor is left, and nobody recorded how it ended.
    snapshot.status = 'dead';
  }
  return snapshot;
}

const STATE_OF: Record<ContainerStatus, ContainerState> = {
  created: 'terminated',
  running: 'running',
  paused: 'running',
  stopped: 'terminated',
  removing: 'terminated',
  exited: 'terminated',
  dead: 'error',
};

export function toInstance(snapshot: ContainerSnapshot, driver: string): ContainerInstance {
  const { record, run, exit, health } = snapshot;
  const instance: ContainerInstance = {
    id: record.id,
    name: record.name,
    sessionId: record.sessionId,
    image: record.image,
    status: snapshot.status,
    state: STATE_OF[snapshot.status],
    endpoint: null,
    ports: [],
    createdAt: new Date(record.createdAt),
    labels: { ...record.labels },
    resources: { ...record.config.resources },
    driver,
  };
  if (record.tenantId) instance.tenantId = record.tenantId;
  if (run) instance.startedAt = new Date(run.startedAt);
  if (exit) {
    instance.finishedAt = new Date(exit.finishedAt);
    instance.exitCode = exit.exitCode;
  }
  if (record.config.healthcheck) {
    instance.health = health?.status ?? (snapshot.status === 'created' ? 'none' : 'starting');
  } else {
    instance.health = 'none';
  }
  if (record.unenforced.length > 0) instance.unenforced = record.unenforced.map((u) => ({ ...u }));
  return instance;
}
