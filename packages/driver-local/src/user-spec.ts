import { readFileSync } from 'node:fs';
import { ConfigurationError } from '@berth/core';

export interface ResolvedUser {
  uid: number;
  gid: number;
}

/** `nogroup`: the group for a numeric uid the host does not know. */
const FALLBACK_GID = 65534;

function readDatabase(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.split(':'));
  } catch {
    return [];
  }
}

/**
 * Resolves `uid[:gid]` or `name[:group]` against the host's /etc/passwd and /etc/group (the
 * image is the host here). A numeric uid needs no entry, as in any image; its group is the
 * passwd entry's, else nogroup, never root's.
 */
export async function resolveUser(spec: string): Promise<ResolvedUser> {
  const [userPart = '', groupPart] = spec.split(':');
  const passwd = readDatabase('/etc/passwd');
  let uid: number;
  let gid: number | undefined;
  if (/^[0-9]+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = passwd.find((fields) => fields[2] === userPart);
    if (entry) gid = Number(entry[3]);
  } else {
    const entry = passwd.find((fields) => fields[0] === userPart);
    if (!entry) {
      throw new ConfigurationError(`User '${userPart}' does not exist on this host`, [
        { path: ['security', 'user'], message: `unknown user '${userPart}'`, stage: 'security' },
      ]);
    }
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined) {
    if (/^[0-9]+$/.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const group = readDatabase('/etc/group').find((fields) => fields[0] === groupPart);
      if (!group) {
        throw new ConfigurationError(`Group '${groupPart}' does not exist on this host`, [
          {
            path: ['security', 'user'],
            message: `unknown group '${groupPart}'`,
            stage: 'security',
          },
        ]);
      }
      gid = Number(group[2]);
    }
  }
  return { uid, gid: gid ?? FALLBACK_GID };
}
