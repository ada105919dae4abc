import type { ContainerInstance, ContainerState, ContainerStatus } from '@berth/core';
import { isSameLiveProcess } from '../host/process-identity.js';
import { freezerState } from '../isolation/cgroup-freezer.js';
import { type ContainerRecord, isContainerRecord } from '../state/container-record.js';
import { readRecordSync } from '../state/json-files.js';
import {
  type ExitRecord,
  isExitRecord,
  isRunRecord,
  isStopRecord,
  type RunRecord,
  type StopRecord,
} from '../state/run-records.js';
import type { StateLayout } from '../state/state-layout.js';
import { type HealthRecord, isHealthRecord } from './health-monitor.js';

/** A container as its records on disk and /proc show it now. */
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
  const record = readRecordSync(layout.containerFile(id), isContainerRecord);
  if (!record) return undefined;
  const snapshot: ContainerSnapshot = { record, status: 'created', supervised: false };
  const run = readRecordSync(layout.runFile(id), isRunRecord);
  if (!run) return snapshot;
  snapshot.run = run;
  if (record.config.healthcheck) {
    const health = readRecordSync(layout.healthFile(id), isHealthRecord);
    if (health?.run === run.run) snapshot.health = health;
  }
  const exit = readRecordSync(layout.exitFile(id), isExitRecord);
  if (exit?.run === run.run) {
    snapshot.exit = exit;
    const stop = readRecordSync(layout.stopFile(id), isStopRecord);
    if (stop?.run === run.run) snapshot.stop = stop;
    snapshot.status = snapshot.stop ? 'stopped' : 'exited';
    return snapshot;
  }
  const stop = readRecordSync(layout.stopFile(id), isStopRecord);
  if (stop?.run === run.run) snapshot.stop = stop;
  snapshot.supervised = await isSameLiveProcess(run.supervisorPid, run.supervisorStartTime);
  if (snapshot.supervised || (await isSameLiveProcess(run.pid, run.pidStartTime))) {
    // Paused is the freezer's to say, not a record's: every driver on this stateDir (another
    // process, say) reads the same state from the kernel, and it cannot fall behind. A freeze
    // counts from the moment it is asked for.
    const group = run.meta.cgroup;
    const freezer = group ? freezerState(group) : undefined;
    snapshot.status = freezer === 'frozen' || freezer === 'freezing' ? 'paused' : 'running';
  } else {
    // Neither the process nor its supervisor is left, and nobody recorded how it ended.
    snapshot.status = 'dead';
  }
  return snapshot;
}

/** A run that has not ended: running, or paused (frozen, and still all there). */
export function isLive(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused';
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
