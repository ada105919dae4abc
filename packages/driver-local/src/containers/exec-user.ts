import { UnsupportedFeatureError } from '@berth/core';
import type { ParsedExecOptions } from '@berth/core/kit';
import type { EngineContext } from '../engine/engine-context.js';
import { capabilitiesOf } from '../host/host-fingerprint.js';
import { type ResolvedUser, refuseRoot, resolveUser } from '../isolation/user-spec.js';
import type { ContainerSnapshot } from './container-snapshot.js';

/**
 * The user an exec asks for, resolved on the host and checked as a create's would be: never
 * root, never another container's identity. Undefined when it names none (it runs as the
 * container's own user).
 */
export async function execUser(
  ctx: EngineContext,
  snapshot: ContainerSnapshot,
  options: ParsedExecOptions,
): Promise<ResolvedUser | undefined> {
  if (!options.user) return undefined;
  let user = await resolveUser(options.user);
  refuseRoot(user, options.user, ['user']);
  const own = snapshot.record.user;
  // Its own uid alone names its own identity, group included.
  if (user.uid === own.uid && !options.user.includes(':')) user = own;
  const same = user.uid === own.uid && user.gid === own.gid;
  const { host } = await ctx.init();
  if (!same && host.setpriv.user) {
    ctx.identities.refuseReserved(user, options.user, ['user']);
  }
  if (!capabilitiesOf(host).user && ctx.enforcement === 'strict') {
    // Running it as the container's user instead would be a silent substitution.
    throw new UnsupportedFeatureError(
      [{ feature: 'user', path: 'exec.user', reason: 'this host cannot switch users' }],
      "Leave out the exec user, run the driver as root with setpriv installed, or use enforcement: 'best-effort'.",
    );
  }
  return user;
}
