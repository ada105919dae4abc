/*
 * In the supervisor's program: its line to the driver that started it, and its report of what
 * went wrong (stderr, which the pool points at the state directory's supervisor.log).
 */
import { type ProcStat, readProcStatSync } from '../host/process-identity.ts';
import type { SupervisorMessage } from './supervisor-protocol.ts';

let disconnected = false;
let self: ProcStat | undefined;

/** The driver is gone: nothing is sent any more, and the records on disk tell the rest. */
export function markDisconnected(): void {
  disconnected = true;
}

export function isDisconnected(): boolean {
  return disconnected;
}

export function send(message: SupervisorMessage): void {
  if (disconnected || !process.send) return;
  try {
    process.send(message);
  } catch {
    // The driver went away between the check and the send; the records on disk still tell.
  }
}

export function report(error: unknown): void {
  process.stderr.write(
    `[${new Date().toISOString()} supervisor ${process.pid}] ${String(error)}\n`,
  );
}

/** This supervisor's own /proc stat: its start time goes into every record naming it. */
export function supervisorStat(): ProcStat | undefined {
  self ??= readProcStatSync(process.pid);
  return self;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
