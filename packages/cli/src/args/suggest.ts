import { editDistance } from '@berth/core';

/**
 * The candidate `given` most likely meant, or undefined when none is close enough to be a
 * typo of it (so `berth frobnicate` suggests nothing rather than something arbitrary).
 */
export function nearest(given: string, candidates: Iterable<string>): string | undefined {
  // Nothing this long is a typo of a flag or command, and capping bounds the work.
  if (given.length > 64) return undefined;
  const wanted = given.toLowerCase();
  const allowed = Math.max(1, Math.min(3, Math.floor(wanted.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(wanted, candidate.toLowerCase());
    // A prefix counts as close: `--sess` for `--session`.
    const score = candidate.toLowerCase().startsWith(wanted) && wanted.length >= 3 ? 0.5 : d;
    if (score <= allowed && score < bestDistance) {
      best = candidate;
      bestDistance = score;
    }
  }
  return best;
}

/** ` Did you mean 'x'?` or nothing. */
export function didYouMean(given: string, candidates: Iterable<string>): string {
  const near = nearest(given, candidates);
  return near === undefined ? '' : ` Did you mean '${near}'?`;
}
