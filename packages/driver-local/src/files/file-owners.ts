import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { FileType } from '@berth/core';
import { UnsafeFileError } from './file-errors.js';

export interface Owner {
  uid: number;
  gid: number;
}

/** Whose a container's files are, as its processes would make them. */
export interface Owners {
  /** The container's user: the owner of what it is given without an owner named. */
  user: Owner;
  /** Every group its processes hold: its own and those of the volumes it mounts. */
  groups: number[];
}

const SET_UID = 0o4000;
const SET_GID = 0o2000;

/**
 * The owner of a new entry given to the container's user: its uid, and the group its own
 * processes would get there, which is the directory's under a set-group-ID directory (a volume's
 * data, so the session's other containers share it).
 */
export function containerOwner(owners: Owners, parent: Stats): Owner {
  const inherits = (parent.mode & SET_GID) !== 0;
  return { uid: owners.user.uid, gid: inherits ? parent.gid : owners.user.gid };
}

/**
 * Refuses a set-user-ID or set-group-ID file that would run as anyone the container is not. Its
 * processes may be allowed new privileges (noNewPrivileges: false): such a file, a root-owned one
 * above all, would hand them an identity the driver refuses to give (uid 0, another container's),
 * by the driver's own hand. A directory's set-group-ID bit only passes its group on: kept.
 */
export function refuseForeignPrivilege(
  path: string,
  type: FileType,
  mode: number,
  owner: Owner,
  owners: Owners,
): void {
  if (type === 'directory' || type === 'symlink') return;
  const foreignUser = (mode & SET_UID) !== 0 && owner.uid !== owners.user.uid;
  const foreignGroup =
    (mode & SET_GID) !== 0 && owner.gid !== owners.user.gid && !owners.groups.includes(owner.gid);
  if (!foreignUser && !foreignGroup) return;
  const bit = foreignUser
    ? `set-user-ID for uid ${owner.uid}`
    : `set-group-ID for gid ${owner.gid}`;
  throw new UnsafeFileError(
    'privilege',
    `${path}: mode ${mode.toString(8).padStart(4, '0')} would make it ${bit}, an identity the container does not have: refused (leave out the set-ID bits, or give it to the container's user ${owners.user.uid}:${owners.user.gid})`,
  );
}

/** Gives an open file its owner, then its mode (a change of owner clears the set-ID bits). */
export async function settle(handle: FileHandle, owner: Owner, mode: number): Promise<void> {
  const info = await handle.stat();
  if (info.uid !== owner.uid || info.gid !== owner.gid) await handle.chown(owner.uid, owner.gid);
  await handle.chmod(mode);
}
