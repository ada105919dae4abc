import { PassThrough } from 'node:stream';
import type { ProcessSource } from '@berth/core/kit';
import { isSameLiveProcess } from '../host/process-identity.js';
import type { SandboxTools } from '../isolation/sandbox-command.js';
import type { StateLayout } from '../state/state-layout.js';
import { isRunning, readSpawnRecord, type SpawnExit, type SpawnRecord } from './process-records.js';
import { signalSpawned } from './process-signals.js';

/*
 * A process found again from its record, spawned by another driver (another process, say): it
 * can be waited for and signalled, but its output went to the pipes of the driver that spawned
 * it, and stays there.
 */

const POLL_MS = 100;
/** How long an owner that is still alive gets to record an exit it has seen. */
const OWNER_GRACE_MS = 5000;

/**
 * What an exit nobody recorded is reported as: its owner ended first, so nobody reaped it
 * knowing how it ended. 255, as for a container whose end nobody saw.
 */
export const UNKNOWN_EXIT_CODE = 255;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * Polls the record until the process has ended: the exit its owner recorded, or, when the owner
 * is gone too (or does not record one in time), an unknown one. Stays pending once `closed`
 * aborts: a closed driver no longer keeps its process alive for it.
 */
async function awaitExit(
  layout: StateLayout,
  first: SpawnRecord,
  closed: AbortSignal,
): Promise<{ exitCode: number; signal?: string; oomKilled?: boolean }> {
  let record = first;
  let goneSince: number | undefined;
  while (!closed.aborted) {
    record = readSpawnRecord(layout, record.containerId, record.id) ?? record;
    if (record.exit) return exitOf(record.exit);
    if (await isRunning(record)) {
      goneSince = undefined;
    } else {
      goneSince ??= Date.now();
      const owner = await isSameLiveProcess(record.owner.pid, record.owner.startTime);
      if (!owner || Date.now() - goneSince > OWNER_GRACE_MS) {
        return { exitCode: UNKNOWN_EXIT_CODE };
      }
    }
    await sleep(POLL_MS, closed);
  }
  return new Promise(() => undefined);
}

function exitOf(exit: SpawnExit): { exitCode: number; signal?: string; oomKilled: boolean } {
  return {
    exitCode: exit.exitCode,
    ...(exit.signal ? { signal: exit.signal } : {}),
    oomKilled: exit.oomKilled,
  };
}

function empty(): PassThrough {
  const stream = new PassThrough();
  stream.end();
  return stream;
}

export function attachedProcess(
  layout: StateLayout,
  record: SpawnRecord,
  tools: SandboxTools,
  closed: AbortSignal,
): ProcessSource {
  return {
    id: record.id,
    containerId: record.containerId,
    ...(record.program ? { pid: record.program.nsPid } : {}),
    stdout: empty(),
    stderr: empty(),
    exit: awaitExit(layout, record, closed),
    kill: async (signal) => {
      // The latest record: its owner may have found the program since.
      const latest = readSpawnRecord(layout, record.containerId, record.id) ?? record;
      if (latest.exit) return;
      await signalSpawned(latest, signal, tools);
    },
  };
}
