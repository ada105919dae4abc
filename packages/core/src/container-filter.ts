import type { ContainerFilter, LogOptions } from './schemas.js';
import type { ContainerInstance, LogLine } from './types.js';

function oneOf<T>(value: T, wanted: T | T[] | undefined): boolean {
  if (wanted === undefined) return true;
  return Array.isArray(wanted) ? wanted.includes(value) : value === wanted;
}

/** Whether an instance passes a listContainers filter; for drivers that filter client-side. */
export function matchesContainerFilter(
  instance: ContainerInstance,
  filter: ContainerFilter = {},
): boolean {
  if (filter.sessionId !== undefined && instance.sessionId !== filter.sessionId) return false;
  if (filter.tenantId !== undefined && instance.tenantId !== filter.tenantId) return false;
  if (!oneOf(instance.status, filter.status)) return false;
  if (!oneOf(instance.state, filter.state)) return false;
  for (const [key, value] of Object.entries(filter.label ?? {})) {
    if (!Object.hasOwn(instance.labels, key)) return false;
    if (value !== true && instance.labels[key] !== value) return false;
  }
  return true;
}

/** The lines a log query asks for: streams, then `since`, then the last `tail` of those. */
export function selectLogLines(lines: readonly LogLine[], options: LogOptions = {}): LogLine[] {
  const since =
    options.since === undefined
      ? undefined
      : options.since instanceof Date
        ? options.since.getTime()
        : options.since;
  const selected = lines.filter(
    (line) =>
      (line.stream === 'stdout' ? options.stdout !== false : options.stderr !== false) &&
      (since === undefined || line.timestamp.getTime() >= since),
  );
  return options.tail === undefined
    ? selected
    : selected.slice(Math.max(0, selected.length - options.tail));
}

/** Renders log lines as getContainerLogs returns them: one per line, optionally timestamped. */
export function formatLogLines(lines: readonly LogLine[], timestamps = false): string {
  return lines
    .map((l) => `${timestamps ? `${l.timestamp.toISOString()} ` : ''}${l.line}\n`)
    .join('');
}
