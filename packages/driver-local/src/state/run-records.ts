/*
 * The records of a container's runs, one JSON file each in its directory: run.json and
 * exit.json, written by the supervisor (or by a driver that found it gone), and stop.json,
 * written by the driver for the supervisor to read. Loaded by the supervisor's program straight
 * from source when unbuilt: local imports name .ts files or are types only.
 */
import type { ContainerCgroup } from '../isolation/cgroups.js';
import {
  isBoolean,
  isNumber,
  isObject,
  isOptional,
  isString,
  type JsonObject,
} from './json-shapes.ts';

/** What the driver notes about a run, handed to the supervisor and copied into its run record. */
export interface RunMeta {
  /** Its cgroup: what stop, stats, exec and remove act on. */
  cgroup?: ContainerCgroup;
  /** It started in a warm sandbox (for diagnostics: which path the run took). */
  warm?: true;
}

/** run.json: the current run's process and supervisor, each named by pid and start time. */
export interface RunRecord {
  run: number;
  pid: number;
  pidStartTime: number;
  supervisorPid: number;
  supervisorStartTime: number;
  startedAt: string;
  sandboxed: boolean;
  meta: RunMeta;
}

/** exit.json: how the run of the same number ended. */
export interface ExitRecord {
  run: number;
  exitCode: number;
  signal: string | null;
  oomKilled: boolean;
  finishedAt: string;
  /** Written by a driver that found the supervisor gone, not by the supervisor itself. */
  lost?: boolean;
}

/** stop.json: written by stopContainer before it signals anything. */
export interface StopRecord {
  run: number;
  requestedAt: string;
  /** Epoch ms after which whatever is left is killed. */
  killAt: number;
}

function isCgroupDirs(value: unknown): value is ContainerCgroup['dirs'] {
  return (
    isObject(value) &&
    ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'].every((controller) =>
      isOptional(value[controller], isString),
    )
  );
}

export function isContainerCgroup(value: unknown): value is ContainerCgroup {
  return (
    isObject(value) && (value.version === 1 || value.version === 2) && isCgroupDirs(value.dirs)
  );
}

export function isRunMeta(value: unknown): value is RunMeta {
  return (
    isObject(value) &&
    isOptional(value.cgroup, isContainerCgroup) &&
    (value.warm === undefined || value.warm === true)
  );
}

/** Fields every run-numbered record has. */
function hasRun(value: unknown): value is JsonObject & { run: number } {
  return isObject(value) && isNumber(value.run);
}

export function isRunRecord(value: unknown): value is RunRecord {
  return (
    hasRun(value) &&
    isNumber(value.pid) &&
    isNumber(value.pidStartTime) &&
    isNumber(value.supervisorPid) &&
    isNumber(value.supervisorStartTime) &&
    isString(value.startedAt) &&
    isBoolean(value.sandboxed) &&
    isRunMeta(value.meta)
  );
}

export function isExitRecord(value: unknown): value is ExitRecord {
  return (
    hasRun(value) &&
    isNumber(value.exitCode) &&
    (value.signal === null || isString(value.signal)) &&
    isBoolean(value.oomKilled) &&
    isString(value.finishedAt) &&
    isOptional(value.lost, isBoolean)
  );
}

export function isStopRecord(value: unknown): value is StopRecord {
  return hasRun(value) && isString(value.requestedAt) && isNumber(value.killAt);
}
