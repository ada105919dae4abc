/**
 * Edit distance where swapping two neighbouring letters counts once (`sotp` for `stop`):
 * mistyped names are mostly one letter wrong, missing, doubled or swapped.
 */
function distance(a: string, b: string): number {
  const width = b.length + 1;
  const cells = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number): number => cells[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) cells[i * width] = i;
  for (let j = 0; j <= b.length; j++) cells[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitution = at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      cells[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}

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
    const d = distance(wanted, candidate.toLowerCase());
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
