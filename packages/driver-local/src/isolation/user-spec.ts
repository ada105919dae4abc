import { readFileSync } from 'node:fs';
import { ConfigurationError, normalizeCapabilityName } from '@berth/core';

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

/**
 * Refuses uid or gid 0, however it was spelled (a name, a number, a group resolving to 0): on
 * this driver there is no user namespace in between, so root in a container is root on the
 * host, over the host's own files. `what` names the setting for the error's path.
 */
export function refuseRoot(user: ResolvedUser, spec: string, path: (string | number)[]): void {
  if (user.uid !== 0 && user.gid !== 0) return;
  const which = user.uid === 0 ? 'uid 0' : 'gid 0';
  throw new ConfigurationError(
    `User '${spec}' is ${which}: the local driver runs containers as host users, with no user namespace to remap root, so it never runs one as root. Leave the user at its default (a uid of the container's own) or name a non-root user such as '1000:1000'.`,
    [{ path, message: `'${spec}' is ${which} (root)`, stage: 'security' }],
  );
}

/** Refuses a user the driver hands out as containers' own identities: it would be another container's. */
export function refuseReserved(
  user: ResolvedUser,
  spec: string,
  path: (string | number)[],
  reserved: (value: number) => boolean,
): void {
  if (!reserved(user.uid) && !reserved(user.gid)) return;
  throw new ConfigurationError(
    `User '${spec}' lies in the range the driver gives containers as identities of their own: it could be another container's. Choose a user outside identityRange, or leave the user at its default.`,
    [{ path, message: `'${spec}' is in the driver's identity range`, stage: 'security' }],
  );
}

/** Capabilities that let a process change its own uid or gid: to 0, or to another container's. */
const IDENTITY_CAPABILITIES = ['SETUID', 'SETGID', 'SETPCAP'];

/**
 * Refuses adding a capability that would let the container leave its identity: with no user
 * namespace in between, setuid(0) makes it host root by uid, and any other uid another
 * container's.
 */
export function refuseIdentityCapabilities(add: string[]): void {
  const issues = add
    .map((name, index) => ({ name: normalizeCapabilityName(name), index }))
    .filter(({ name }) => IDENTITY_CAPABILITIES.includes(name))
    .map(({ name, index }) => ({
      path: ['security', 'capabilities', 'add', index],
      message: `adding ${name} lets the container switch to any uid or gid, root included`,
      stage: 'security' as const,
    }));
  if (issues.length === 0) return;
  throw new ConfigurationError(
    `The local driver does not add ${issues.map((i) => i.message.split(' ')[1]).join(', ')}: with no user namespace in between, a container could make itself root or another container's user. Leave them out.`,
    issues,
  );
}
