import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import type { ProcessInfo } from '@berth/core';
import { isSameLiveProcess } from '../host/process-identity.js';
import type { ChainShape } from '../isolation/sandbox-command.js';
import { readRecordSync, writeJsonAtomic } from '../state/json-files.js';
import {
  isBoolean,
  isNumber,
  isObject,
  isOptional,
  isString,
  isStringArray,
} from '../state/json-shapes.js';
import type { StateLayout } from '../state/state-layout.js';

/*
 * What the driver keeps of each spawned process, one file per process in the container's
 * `processes/` directory: enough for any driver on the stateDir (another process too) to list
 * it, wait for it and signal it. Every process is named by pid and start time, never by pid
 * alone: a pid that names another process now is never taken for it. Written only by the
 * process's owner (the driver holding its pipes): at spawn, and once more at its exit.
 */

/** How many ended processes a container's records keep, the latest; running ones are all kept. */
const ENDED_KEPT = 100;

export interface ProcessIdentity {
  pid: number;
  /** Clock ticks since boot, from /proc/<pid>/stat. */
  startTime: number;
}

export interface SpawnExit {
  exitCode: number;
  signal?: string;
  oomKilled: boolean;
  finishedAt: string;
}

export interface SpawnRecord {
  id: string;
  containerId: string;
  /** The container's run it was spawned in. */
  run: number;
  command: string[];
  startedAt: string;
  shape: ChainShape;
  /** The process the driver spawned (see ChainShape); absent when nothing was started. */
  chain?: ProcessIdentity;
  /** The program, once it was found under the chain, with its pid inside the container. */
  program?: ProcessIdentity & { nsPid: number };
  /** The driver's process, which reaps it and records its exit. */
  owner: ProcessIdentity;
  exit?: SpawnExit;
}

const SHAPES: readonly unknown[] = ['direct', 'joined', 'sandbox'] satisfies ChainShape[];

function isIdentity(value: unknown): value is ProcessIdentity {
  return isObject(value) && isNumber(value.pid) && isNumber(value.startTime);
}

function isSpawnExit(value: unknown): value is SpawnExit {
  return (
    isObject(value) &&
    isNumber(value.exitCode) &&
    isOptional(value.signal, isString) &&
    isBoolean(value.oomKilled) &&
    isString(value.finishedAt)
  );
}

export function isSpawnRecord(value: unknown): value is SpawnRecord {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.containerId) &&
    isNumber(value.run) &&
    isStringArray(value.command) &&
    isString(value.startedAt) &&
    SHAPES.includes(value.shape) &&
    isOptional(value.chain, isIdentity) &&
    isOptional(value.program, (p) => isIdentity(p) && isNumber((p as { nsPid?: unknown }).nsPid)) &&
    isIdentity(value.owner) &&
    isOptional(value.exit, isSpawnExit)
  );
}

/** The record of one process of the container, checked to be about that very process. */
export function readSpawnRecord(
  layout: StateLayout,
  containerId: string,
  processId: string,
): SpawnRecord | undefined {
  const record = readRecordSync(layout.processFile(containerId, processId), isSpawnRecord);
  return record?.id === processId && record.containerId === containerId ? record : undefined;
}

/** Every process the container's records know, oldest first. */
export function listSpawnRecords(layout: StateLayout, containerId: string): SpawnRecord[] {
  let names: string[];
  try {
    names = readdirSync(layout.processesDir(containerId));
  } catch {
    return [];
  }
  const records: SpawnRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const record = readSpawnRecord(layout, containerId, name.slice(0, -'.json'.length));
    if (record) records.push(record);
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * Writes a process's record. Its directory is made with the first one, and only inside the
 * container's own: a container removed meanwhile is not brought back by a late write.
 */
export async function writeSpawnRecord(layout: StateLayout, record: SpawnRecord): Promise<void> {
  try {
    // Root's alone: the container's user may pass through the container's directory.
    mkdirSync(layout.processesDir(record.containerId), { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await writeJsonAtomic(layout.processFile(record.containerId, record.id), record);
}

/** Whether it runs now: not recorded as ended, and its chain still that very process. */
export async function isRunning(record: SpawnRecord): Promise<boolean> {
  if (record.exit || !record.chain) return false;
  return isSameLiveProcess(record.chain.pid, record.chain.startTime);
}

export async function processInfo(record: SpawnRecord): Promise<ProcessInfo> {
  return {
    id: record.id,
    containerId: record.containerId,
    command: [...record.command],
    running: await isRunning(record),
    ...(record.exit ? { exitCode: record.exit.exitCode } : {}),
    ...(record.program ? { pid: record.program.nsPid } : {}),
  };
}

/** Forgets all but the latest ENDED_KEPT ended processes, so records do not grow without end. */
export async function pruneSpawnRecords(layout: StateLayout, containerId: string): Promise<void> {
  // Counted before anything is read: most spawns have nothing to prune.
  let count = 0;
  try {
    count = readdirSync(layout.processesDir(containerId)).length;
  } catch {
    return;
  }
  if (count <= ENDED_KEPT) return;
  const records = listSpawnRecords(layout, containerId);
  const ended: SpawnRecord[] = [];
  for (const record of records) if (!(await isRunning(record))) ended.push(record);
  for (const record of ended.slice(0, Math.max(0, ended.length - ENDED_KEPT))) {
    rmSync(layout.processFile(containerId, record.id), { force: true });
  }
}
