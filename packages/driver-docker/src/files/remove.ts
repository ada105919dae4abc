import { ConflictError, FileNotFoundError, FileSystemError } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import { exec } from '../containers/exec.js';
import type { EngineSession } from '../engine/session.js';
import { type FilesTarget, filesTarget, readOnlyRoot, refusedWrite } from './archive.js';
import { walkPath } from './path-chain.js';

/*
 * The archive endpoint can add files but not take them away, so a removal is a process in the
 * container: `rm` (or `rmdir`, for a directory without `recursive`) from its image, given the
 * path as an argument, never through a shell. It runs as the container's own user; as root
 * only when the driver was made with `allowRoot`, and only after the user was refused.
 */

function notRunning(t: FilesTarget): ConflictError | undefined {
  const state = t.info.State;
  if (state.Paused) {
    return new ConflictError(
      `removeFile: container ${t.id} is paused: resume it (resumeContainer) first; files are removed by a process in it`,
    );
  }
  if (state.Running) return undefined;
  return new ConflictError(
    `removeFile: container ${t.id} is ${state.Status}, not running, and files are removed by a process in it: start it (startContainer) first. Writes, reads, listings and downloads work on a stopped container.`,
  );
}

const DENIED = /Permission denied|Operation not permitted/i;

export async function removeFile(
  session: EngineSession,
  id: string,
  path: string,
  options: { recursive: boolean; force: boolean },
  allowRoot: boolean,
  ctx: PrimitiveContext,
): Promise<void> {
  const t = await filesTarget(session, id, ctx);
  const { target } = await walkPath(t, path, 'removeFile');
  if (!target) {
    if (options.force) return;
    throw new FileNotFoundError(t.id, path);
  }
  const refused = refusedWrite(t, path);
  if (refused) throw refused;
  const conflict = notRunning(t);
  if (conflict) throw conflict;
  // rm of a link removes the link: the path's own last part is never followed.
  const argv =
    target.type === 'directory' && !options.recursive
      ? ['rmdir', '--', path]
      : ['rm', ...(options.recursive ? ['-r'] : []), ...(options.force ? ['-f'] : []), '--', path];
  const run = (user?: string) =>
    exec(session, t.engineId, argv, user === undefined ? {} : { user }, ctx).catch(
      (error: unknown) => {
        // Stopped or paused since it was read: the exec's refusal says which, and the fix.
        if (!ConflictError.isInstance(error)) throw error;
        throw new ConflictError(
          `removeFile: ${error.message} (files are removed by a process in the container)`,
          { cause: error },
        );
      },
    );
  let result = await run();
  const retried = result.exitCode !== 0 && DENIED.test(result.stderr) && allowRoot;
  if (retried) result = await run('0:0');
  if (result.exitCode === 0) return;
  const said = `${result.stderr}${result.stdout}`.trim();
  if (/No such file or directory/i.test(said)) {
    if (options.force) return;
    throw new FileNotFoundError(t.id, path);
  }
  if (/Directory not empty/i.test(said)) {
    throw new FileSystemError(
      `removeFile: ${path} in container ${t.id} is a directory with entries: pass { recursive: true } to remove it and all in it`,
    );
  }
  if (/Read-only file system/i.test(said)) throw readOnlyRoot(t, path);
  if (DENIED.test(said)) {
    const user = retried ? 'root' : `the container's user (${t.info.Config?.User || 'root'})`;
    // The engine writes as root wherever it is asked; rm needs the directory holding the path
    // to be writable by whoever runs it.
    const hint = allowRoot ? '' : ': a driver made with allowRoot retries as root';
    throw new FileSystemError(
      `removeFile: ${user} may not remove ${path} in container ${t.id} (${said})${hint}`,
    );
  }
  if (result.exitCode === 126 || result.exitCode === 127) {
    throw new FileSystemError(
      `removeFile runs ${argv[0]} in container ${t.id}, and its image has none: ${said}`,
    );
  }
  throw new FileSystemError(
    `removeFile: ${argv[0]} exited ${result.exitCode} in container ${t.id}: ${said || 'no message'}`,
  );
}
