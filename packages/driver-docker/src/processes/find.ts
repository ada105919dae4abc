import { Readable } from 'node:stream';
import { type ProcessInfo, ProcessNotFoundError } from '@berth/core';
import type { PrimitiveContext, ProcessSource } from '@berth/core/kit';
import type { EngineSession } from '../engine/session.js';
import { commandOf, type ExecInspect, inspectExec, isSpawn } from './engine-exec.js';
import { ExitWatch } from './exit-watch.js';
import { readHostProcess } from './host-process.js';
import { killProcess } from './kill.js';
import { oomBaseline } from './oom.js';

/*
 * Finding spawns again. The engine lists a container's running execs, Berth's among its health
 * checks and anyone's `docker exec`: the driver's mark (engine-exec.ts) tells them apart. Ended
 * ones the engine no longer lists: this instance lists those it spawned or found.
 */

export async function listProcesses(
  session: EngineSession,
  id: string,
  ctx: PrimitiveContext,
): Promise<ProcessInfo[]> {
  const { signal } = ctx;
  const info = await session.inspectOrThrow(id, signal);
  const containerId = info.Id;
  const ids = new Set([...(info.ExecIDs ?? []), ...session.processes.known(containerId)]);
  const execs = await Promise.all([...ids].map((execId) => inspectExec(session, execId, signal)));
  const found: ProcessInfo[] = [];
  for (const [index, execId] of [...ids].entries()) {
    const exec = execs[index];
    if (!exec) {
      session.processes.forget(containerId, execId);
      continue;
    }
    if (!isSpawn(exec) || exec.ContainerID !== containerId) continue;
    // Not started (yet, or ever: a start given up on): no process to list.
    if (!exec.Running && exec.ExitCode === null) continue;
    // Remembered, so it is still listed here once the engine lists it no more.
    session.processes.remember(containerId, execId);
    found.push(processInfo(exec));
  }
  return found;
}

function processInfo(exec: ExecInspect): ProcessInfo {
  const nsPid = exec.Running ? readHostProcess(exec.Pid, exec.ContainerID)?.nsPid : undefined;
  return {
    id: exec.ID,
    containerId: exec.ContainerID,
    command: commandOf(exec),
    running: exec.Running,
    ...(exec.Running || exec.ExitCode === null ? {} : { exitCode: exec.ExitCode }),
    ...(nsPid === undefined ? {} : { pid: nsPid }),
  };
}

/**
 * A handle on a spawn found by its id, from any driver instance or process: its wait and kill
 * work as the spawner's do. Its output cannot be had: the engine sends an exec's output only to
 * the connection that started it, and an exec starts once, so its streams end empty.
 */
export async function attach(
  session: EngineSession,
  id: string,
  processId: string,
  ctx: PrimitiveContext,
): Promise<ProcessSource> {
  const { signal } = ctx;
  const info = await session.inspectOrThrow(id, signal);
  const containerId = info.Id;
  const exec = await inspectExec(session, processId, signal);
  if (!exec || exec.ContainerID !== containerId || !isSpawn(exec)) {
    throw new ProcessNotFoundError(id, processId);
  }
  session.processes.remember(containerId, processId);
  const seen = exec.Running ? (readHostProcess(exec.Pid, containerId) ?? undefined) : undefined;
  // Counted from now: an OOM kill before the attach is not seen.
  const oom = readHostProcess(info.State.Pid, containerId)
    ? oomBaseline(info.State.Pid)
    : undefined;
  const watch = new ExitWatch(session, processId, containerId, oom);
  return {
    id: processId,
    containerId,
    ...(seen?.nsPid === undefined ? {} : { pid: seen.nsPid }),
    stdout: Readable.from([], { objectMode: false }),
    stderr: Readable.from([], { objectMode: false }),
    exit: watch.exit,
    kill: (sent) => killProcess({ session, containerId, execId: processId, seen, watch }, sent),
  };
}
