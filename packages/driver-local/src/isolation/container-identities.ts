import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, type ContainerConfig, DEFAULT_USER } from '@berth/core';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import { claimFile, releaseClaim } from '../state/exclusive-claims.js';
import { isObject, isString } from '../state/json-shapes.js';
import { isContainerId, type StateLayout } from '../state/state-layout.js';
import { type IdentityRange, IdentityRegistry, VOLUME_HOLDER } from './identities.js';
import { type ResolvedUser, refuseReserved, refuseRoot, resolveUser } from './user-spec.js';

/** Stands in for a container id where only the shape of a record matters. */
export const PLACEHOLDER_ID = '0'.repeat(32);

/**
 * Who a container is: the user it runs as (an identity of its own unless it chose one) and the
 * name it holds. Both are claims that parallel creates, in this process or another, cannot
 * both win, and both are given back when the container is removed.
 */
export class ContainerIdentities {
  readonly #registry: IdentityRegistry;
  readonly #layout: StateLayout;
  /** Identities taken for warm sandboxes, by the container id each was made for. */
  readonly #warm = new Map<string, ResolvedUser>();

  constructor(layout: StateLayout, registryDir: string, range: IdentityRange) {
    this.#layout = layout;
    this.#registry = new IdentityRegistry(registryDir, layout.root, range);
  }

  /**
   * The user a container runs as: with the default user, an identity of its own (where the
   * driver can switch users; `own`, the uid is taken later, for the id); a chosen one as
   * resolved on the host, never root and never one of the identities handed to containers.
   */
  async choose(
    host: HostFingerprint,
    config: ContainerConfig,
  ): Promise<{ user: ResolvedUser; own: boolean }> {
    const spec = config.security.user;
    if (spec === DEFAULT_USER && host.setpriv.user) return { user: { uid: 0, gid: 0 }, own: true };
    const user = await resolveUser(spec);
    refuseRoot(user, spec, ['security', 'user']);
    if (host.setpriv.user) this.refuseReserved(user, spec, ['security', 'user']);
    return { user, own: false };
  }

  /** Refuses a user inside the range of handed-out identities. */
  refuseReserved(user: ResolvedUser, spec: string, path: (string | number)[]): void {
    refuseReserved(user, spec, path, (v) => this.#registry.contains(v));
  }

  /** The identity reserved for the warm sandbox made for container `id`, taken on first use. */
  forWarm(id: string): ResolvedUser {
    // The placeholder only ever describes a shape; it never runs.
    if (id === PLACEHOLDER_ID) return { uid: 1, gid: 1 };
    let user = this.#warm.get(id);
    if (!user) {
      user = this.#registry.acquire(id);
      this.#warm.set(id, user);
    }
    return user;
  }

  /** Takes an identity for container `id`: the one its warm sandbox was made with, if any. */
  take(id: string): ResolvedUser {
    const user = this.#warm.get(id) ?? this.#registry.acquire(id);
    this.#warm.delete(id);
    return user;
  }

  /** A warm sandbox went unused: its identity goes back. */
  forgetWarm(id: string): void {
    const user = this.#warm.get(id);
    this.#warm.delete(id);
    if (user) this.#registry.release(user.uid, id);
  }

  release(uid: number, id: string): void {
    this.#registry.release(uid, id);
  }

  /** Groups of their own for volumes, from the same range (see VolumeStore). */
  readonly volumeGroups = {
    take: (volume: string): number => this.#registry.acquire(`${VOLUME_HOLDER}${volume}`).gid,
    release: (gid: number, volume: string): void =>
      this.#registry.release(gid, `${VOLUME_HOLDER}${volume}`),
  };

  /** Gives back identities of containers that vanished without a removal. */
  sweep(): void {
    this.#registry.sweep();
  }

  /** Takes the claim on a chosen name: of parallel creates with one name, exactly one wins. */
  claimName(name: string, id: string): void {
    const layout = this.#layout;
    mkdirSync(layout.names, { recursive: true, mode: 0o700 });
    const gone = (held: unknown) => {
      const holder = nameHolder(held);
      return (
        holder === undefined ||
        !isContainerId(holder) ||
        statSync(layout.containerDir(holder), { throwIfNoEntry: false }) === undefined
      );
    };
    if (!claimFile(join(layout.names, name), { id }, gone)) {
      throw new ConflictError(`A container named '${name}' already exists`);
    }
  }

  releaseName(name: string, id: string): void {
    releaseClaim(join(this.#layout.names, name), (held) => nameHolder(held) === id);
  }
}

/** The container a name's claim file says holds the name, if it says one. */
function nameHolder(held: unknown): string | undefined {
  return isObject(held) && isString(held.id) ? held.id : undefined;
}
