const UNITS: [number, string][] = [
  [365 * 86_400_000, 'year'],
  [30 * 86_400_000, 'month'],
  [7 * 86_400_000, 'week'],
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/** `5 seconds ago`, `2 hours ago`: how `ps` shows when a container was made. */
export function ago(date: Date, now: number): string {
  const ms = now - date.getTime();
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 1000) return 'just now';
  for (const [size, unit] of UNITS) {
    if (ms >= size) {
      const n = Math.floor(ms / size);
      return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}
