/*
 * Mount sources opened as handles, for bubblewrap to mount what was checked and nothing else.
 * Used by the supervisor, which runs straight from source too: no local imports here.
 */
import { closeSync, constants as fsConstants, openSync, readlinkSync } from 'node:fs';

// Not in fs.constants: open(2)'s flag for a handle that names a file without opening it.
const O_PATH = 0o10000000;

/**
 * Opens each mount source as a handle, without following a symlink in its last component, and
 * checks that what was opened is the very path the driver checked (a symlink swapped in for any
 * component since would resolve elsewhere). bubblewrap then mounts the handle, so nothing done
 * to the path after this moment changes what is mounted. All or none.
 */
export function openMountSources(sources: { path: string; directory: boolean }[]): number[] {
  const fds: number[] = [];
  try {
    for (const source of sources) {
      const flags =
        O_PATH | fsConstants.O_NOFOLLOW | (source.directory ? fsConstants.O_DIRECTORY : 0);
      let fd: number;
      try {
        fd = openSync(source.path, flags);
      } catch (error) {
        throw new MountChangedError(source.path, (error as Error).message);
      }
      fds.push(fd);
      const opened = readlinkSync(`/proc/self/fd/${fd}`);
      if (opened !== source.path) {
        throw new MountChangedError(source.path, `it now resolves to '${opened}'`);
      }
    }
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  return fds;
}

export class MountChangedError extends Error {
  readonly code = 'EMOUNTCHANGED';
  constructor(path: string, detail: string) {
    super(`mount source '${path}' changed after it was checked (${detail}); nothing was mounted`);
  }
}
