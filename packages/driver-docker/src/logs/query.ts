import type { GetLogsOptions } from '@berth/core';

/** Epoch seconds with nanosecond digits, the form the engine's `since` takes. */
export function engineTime(value: Date | number): string {
  const ms = value instanceof Date ? value.getTime() : value;
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

/** Contract log options → the engine's `/logs` query. */
export function logQuery(
  options: GetLogsOptions,
  overrides: { follow: boolean; timestamps?: boolean },
): Record<string, string | number | boolean | undefined> {
  return {
    stdout: options.stdout ?? true,
    stderr: options.stderr ?? true,
    timestamps: overrides.timestamps ?? options.timestamps ?? false,
    follow: overrides.follow,
    tail: options.tail ?? 'all',
    since: options.since === undefined ? undefined : engineTime(options.since),
  };
}
