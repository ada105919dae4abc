import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, ResourceLimitError } from '@berth/core';
import { claimFile, reclaimStale, releaseClaim } from '../state/exclusive-claims.js';
import { isObject, isString } from '../state/json-shapes.js';
import type { ResolvedUser } from './user-spec.js';

/*
 * A uid/gid of its own for every container that does not choose a user: two containers then
 * never share an identity, so neither can signal, ptrace or read the /proc entries and 0700
 * files of the other, even where they could see each other. Identities are handed out from a
 * range by files in a registry shared by every driver on the host (one file per uid, made with
 * O_EXCL), so drivers on different state directories never hand out the same one either.
 */

export interface IdentityRange {
  /** First uid (and gid) of the range. */
  first: number;
  /** How many identities the range holds. */
  count: number;
}

/** High enough to stay clear of system and login accounts and of the usual subuid ranges. */
export const DEFAULT_IDENTITY_RANGE: IdentityRange = { first: 2_000_000_000, count: 1_000_000 };

/** What an identity's claim file holds: who took it. */
interface Holder {
  stateDir: string;
  id: string;
}

function isHolder(value: unknown): value is Holder {
  return isObject(value) && isString(value.stateDir) && isString(value.id);
}

export function checkIdentityRange(range: IdentityRange): void {
  const { first, count } = range;
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(count) ||
    first < 1000 ||
    count < 1 ||
    first + count > 2 ** 31
  ) {
    throw new ConfigurationError(
      `identityRange must be whole numbers with first >= 1000, count >= 1 and first + count <= 2^31, got ${JSON.stringify(range)}`,
    );
  }
}

export class IdentityRegistry {
  constructor(
    private readonly dir: string,
    private readonly stateDir: string,
    private readonly range: IdentityRange,
  ) {}

  /** Whether a uid or gid belongs to the range (and so to some container, not to a user's choice). */
  contains(value: number): boolean {
    return value >= this.range.first && value < this.range.first + this.range.count;
  }

  /** Takes a free identity for container `id`: uid and gid are the same number. */
  acquire(id: string): ResolvedUser {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { first, count } = this.range;
    // A random starting point: parallel creates rarely race for the same file.
    const start = randomInt(count);
    const attempts = Math.min(count, 4096);
    for (let i = 0; i < attempts; i++) {
      const uid = first + ((start + i) % count);
      if (this.claim(uid, id)) return { uid, gid: uid };
    }
    throw new ResourceLimitError('identities', count, count + 1);
  }

  /** Gives the identity back, if `id` still holds it. */
  release(uid: number, id: string): void {
    releaseClaim(
      join(this.dir, String(uid)),
      (held) => isHolder(held) && held.id === id && held.stateDir === this.stateDir,
    );
  }

  /**
   * Gives back identities whose containers are gone without a removal (a driver killed, a state
   * directory deleted): they would otherwise wait for a later acquire to happen upon them.
   */
  sweep(): number {
    let entries: string[];
    try {
      entries = readdirSync(this.dir);
    } catch {
      return 0;
    }
    let freed = 0;
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      const path = join(this.dir, name);
      if (reclaimStale(path, isGone)) freed++;
    }
    return freed;
  }

  private claim(uid: number, id: string): boolean {
    const holder: Holder = { stateDir: this.stateDir, id };
    return claimFile(join(this.dir, String(uid)), holder, isGone);
  }
}

/** A holder of a volume's group, rather than of a container's identity. */
export const VOLUME_HOLDER = 'volume:';

/** Its container (or the warm sandbox made for it, or its volume) no longer exists anywhere. */
function isGone(holder: unknown): boolean {
  if (!isHolder(holder)) return true;
  if (holder.id.startsWith(VOLUME_HOLDER)) {
    return !existsSync(join(holder.stateDir, 'volumes', holder.id.slice(VOLUME_HOLDER.length)));
  }
  if (existsSync(join(holder.stateDir, 'containers', holder.id))) return false;
  try {
    const warm = join(holder.stateDir, 'warm');
    return !readdirSync(warm).some((owner) => existsSync(join(warm, owner, holder.id)));
  } catch {
    return true;
  }
}
