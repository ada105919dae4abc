// uid[:gid] by number, or user[:group] by name.
const USER_SPEC = /^([0-9]+|[a-z_][a-z0-9_-]*[$]?)(:([0-9]+|[a-z_][a-z0-9_-]*))?$/i;

/**
 * The largest uid or gid container runtimes accept (runc refuses more). Larger numbers are
 * refused here too: a runtime parsing into 32 bits unchecked would wrap 4294967296 round to 0.
 */
export const MAX_USER_ID = 2_147_483_647;

const NUMERIC = /^[0-9]+$/;

// Any spelling of id 0 ('0', '00'), or the name. Names are case-sensitive on Linux, but an image
// defining 'ROOT' is not one anyone means to run as an ordinary user: refusing it costs nothing.
function isRoot(part: string): boolean {
  return /^0+$/.test(part) || part.toLowerCase() === 'root';
}

export interface UserCheckOptions {
  /** Accept uid 0 and gid 0 (and the name `root`). */
  allowRoot?: boolean;
}

/**
 * What is wrong with a user spec (`security.user` or the exec `user`), or undefined.
 * A name is resolved by the image's /etc/passwd, which no validation can read: only the name
 * `root` is known to be uid 0. A numeric uid:gid is what the secure default uses for that reason.
 */
export function userSpecProblem(user: string, options: UserCheckOptions = {}): string | undefined {
  if (user.trim() === '') {
    return "user must not be empty; use a numeric 'uid:gid' such as '65534:65534'";
  }
  const match = USER_SPEC.exec(user);
  if (!match) return `user '${user}' is not 'uid[:gid]' or 'name[:group]'`;
  const uid = match[1] ?? '';
  const gid = match[3];
  for (const id of [uid, gid]) {
    if (id !== undefined && NUMERIC.test(id) && Number(id) > MAX_USER_ID) {
      return `id ${id} in user '${user}' is above ${MAX_USER_ID}, the largest uid or gid container runtimes accept (one wrapping it round would run as root); use a non-root numeric user such as '65534:65534'`;
    }
  }
  if (options.allowRoot === true) return undefined;
  const rootUid = isRoot(uid);
  const rootGid = gid !== undefined && isRoot(gid);
  if (!rootUid && !rootGid) return undefined;
  const which = rootUid && rootGid ? 'uid 0 and gid 0' : rootUid ? 'uid 0' : 'gid 0';
  return `user '${user}' runs as root (${which}): uid or gid 0 in a container is root on the host unless a user namespace remaps it. Use a non-root numeric user such as '65534:65534'; if root is truly needed, create the driver with allowRoot: true where the driver supports it (or pass allowRoot: true to the validation), accepting that risk`;
}
