import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';

/*
 * One-winner claims through the filesystem: a claim is a file made with O_EXCL, so of any number
 * of parallel claimants (in this process or another) exactly one gets it. A claim whose holder
 * is gone (its process died between claiming and recording) is taken over once it is old enough
 * that its holder cannot still be finishing.
 */

/** A claim younger than this is never taken as stale: its holder may still be recording. */
const GRACE_MS = 60_000;

/** Makes the claim file at `path` holding `holder`; false when someone else holds it. */
export function claimFile(
  path: string,
  holder: unknown,
  isStale: (held: unknown) => boolean,
): boolean {
  for (let round = 0; round < 2; round++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(holder));
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!claimIsStale(path, isStale)) return false;
    try {
      unlinkSync(path);
    } catch {
      // Someone else took it over first; the next round finds out who.
    }
  }
  return false;
}

/** What the claim at `path` holds, if it can be read. */
export function claimHolder(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Removes the claim if `matches` says its holder is the one letting go. */
export function releaseClaim(path: string, matches: (held: unknown) => boolean): void {
  if (!matches(claimHolder(path))) return;
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** Removes the claim at `path` if it is stale; whether it did. */
export function reclaimStale(path: string, isStale: (held: unknown) => boolean): boolean {
  if (!claimIsStale(path, isStale)) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

function claimIsStale(path: string, isStale: (held: unknown) => boolean): boolean {
  try {
    if (Date.now() - statSync(path).mtimeMs < GRACE_MS) return false;
  } catch {
    return true;
  }
  return isStale(claimHolder(path));
}
