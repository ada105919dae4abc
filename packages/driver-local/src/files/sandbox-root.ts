import { constants } from 'node:fs';
import { type FileHandle, open, readFile, readlink } from 'node:fs/promises';
import { sandboxInit } from '../containers/sandbox-processes.js';
import { isSameLiveProcess } from '../host/process-identity.js';
import type { RunRecord } from '../state/run-records.js';
import { HeldDir } from './held-dir.js';

const DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY;

/**
 * The root of a running container's sandbox, held open: /proc/<init>/root of bubblewrap's init,
 * whose mount namespace is the container's (what it sees at `/`, its own /tmp, its mounts,
 * read-only where they are read-only for it). The init, not the program: the program may make
 * namespaces of its own, the init cannot be made to (see sandboxInit). Undefined when there is
 * no such process (the run ended meanwhile).
 *
 * The init's /proc directory is opened first and everything after goes through that handle: a
 * handle names one process, and once it ends its files answer ESRCH, so a pid reused in between
 * can never make another process's root (the host's, say) pass for the container's.
 */
export async function sandboxRoot(
  run: RunRecord,
  bwrap: string | undefined,
  containerId: string,
): Promise<HeldDir | undefined> {
  if (bwrap === undefined) return undefined;
  const init = await sandboxInit(run.pid, run.pidStartTime, bwrap);
  if (init === undefined) return undefined;
  let proc: FileHandle;
  try {
    proc = await open(`/proc/${init}`, DIRECTORY);
  } catch {
    return undefined;
  }
  try {
    const at = `/proc/self/fd/${proc.fd}`;
    const stat = await readFile(`${at}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    // Still the init this run's monitor started, the monitor still this run's.
    if (ppid !== run.pid || !(await isSameLiveProcess(run.pid, run.pidStartTime))) return undefined;
    if ((await readlink(`${at}/exe`)) !== bwrap) return undefined;
    return HeldDir.adopt(await open(`${at}/root`, DIRECTORY), '/', containerId);
  } catch {
    return undefined;
  } finally {
    await proc.close();
  }
}
