import { ConfigurationError, FileNotFoundError } from '@berth/core';
import { type FilesTarget, getArchive } from './archive.js';
import { TarReader } from './tar-reader.js';

export interface Owner {
  uid: number;
  gid: number;
}

const MAX_DATABASE = 1024 * 1024;

/** A user database of the container's own (`/etc/passwd`, `/etc/group`); empty when absent. */
async function database(t: FilesTarget, path: string): Promise<string[][]> {
  let response: Awaited<ReturnType<typeof getArchive>>;
  try {
    response = await getArchive(t, path);
  } catch (error) {
    if (FileNotFoundError.isInstance(error)) return [];
    throw error;
  }
  const reader = new TarReader(response, t.signal);
  try {
    const header = await reader.next();
    if (header?.type !== 'file' || header.size > MAX_DATABASE) return [];
    const chunks: Uint8Array[] = [];
    for await (const chunk of reader.body()) chunks.push(chunk);
    return Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.split(':'));
  } finally {
    response.destroy();
  }
}

const numeric = (part: string | undefined) =>
  part !== undefined && /^\d{1,10}$/.test(part) ? Number(part) : undefined;

/**
 * The uid and gid the container's processes run as, from its configured user, resolved as the
 * runtime resolves it: names in the container's own /etc/passwd and /etc/group (the engine's
 * `copyUIDGID` asks the host's instead, and fails on `uid:gid`); a uid without a group takes
 * its passwd entry's group, else 0. No user is root, the image's default.
 */
export async function containerOwner(t: FilesTarget): Promise<Owner> {
  const spec = t.info.Config?.User ?? '';
  if (spec === '') return { uid: 0, gid: 0 };
  const [user = '', group] = spec.split(':', 2);
  const needsPasswd = numeric(user) === undefined || group === undefined;
  const passwd = needsPasswd ? await database(t, '/etc/passwd') : [];
  const entry = passwd.find((fields) =>
    numeric(user) === undefined ? fields[0] === user : numeric(fields[2]) === numeric(user),
  );
  const uid = numeric(user) ?? numeric(entry?.[2]);
  if (uid === undefined) throw unnamed(t, 'user', user, '/etc/passwd');
  if (group === undefined) return { uid, gid: numeric(entry?.[3]) ?? 0 };
  if (numeric(group) !== undefined) return { uid, gid: numeric(group) as number };
  const named = (await database(t, '/etc/group')).find((fields) => fields[0] === group);
  const gid = numeric(named?.[2]);
  if (gid === undefined) throw unnamed(t, 'group', group, '/etc/group');
  return { uid, gid };
}

function unnamed(t: FilesTarget, what: string, name: string, file: string): ConfigurationError {
  return new ConfigurationError(
    `Container ${t.id} runs as ${what} ${JSON.stringify(name)}, which its ${file} does not name, so files cannot be given to it: pass an owner 'uid:gid', or create the container with a numeric security.user`,
  );
}
