import { ContainerNotFoundError } from '@berth/core';
import type { EngineOperation } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';

/** The parts of `GET /exec/{id}/json` the driver reads. */
export interface ExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  /** On the engine's host; 0 until the process has started, and when it failed to. */
  Pid: number;
  ProcessConfig?: { entrypoint?: string; arguments?: string[] | null; user?: string };
  /** Base64 of the bytes, as Docker encodes a byte slice (a plain string from some engines). */
  DetachKeys?: string | null;
}

/*
 * Berth's mark on the execs it spawns, so a listing can leave out the engine's health checks,
 * `docker exec` sessions and the driver's own buffered exec calls: exec configs carry no
 * labels, and the detach keys are the one setting an exec keeps and shows that does nothing
 * without a TTY (the engine copies stdin untouched then). Bytes: ctrl-b, 'e', 'r', 't', 'h'.
 */
export const SPAWN_MARK = 'ctrl-b,e,r,t,h';
const MARK_BYTES = Buffer.from([0x02, 0x65, 0x72, 0x74, 0x68]);

export function isSpawn(exec: ExecInspect): boolean {
  const keys = exec.DetachKeys;
  if (!keys) return false;
  return keys === SPAWN_MARK || Buffer.from(keys, 'base64').equals(MARK_BYTES);
}

export function commandOf(exec: ExecInspect): string[] {
  const config = exec.ProcessConfig;
  return [config?.entrypoint ?? '', ...(config?.arguments ?? [])].filter(
    (part, index) => index > 0 || part !== '',
  );
}

/** An exec's state; null once the engine no longer knows it (its container removed). */
export async function inspectExec(
  session: EngineSession,
  execId: string,
  signal: AbortSignal | undefined,
): Promise<ExecInspect | null> {
  const what: EngineOperation = { kind: 'container', op: 'other', id: execId };
  try {
    return await session.call<ExecInspect>(
      { method: 'GET', path: `/exec/${encodeURIComponent(execId)}/json`, signal },
      what,
    );
  } catch (error) {
    // A 404 maps to a container's not-found: for an exec it means the exec.
    if (error instanceof ContainerNotFoundError) return null;
    throw error;
  }
}
