import {
  formatLogLines,
  type GetLogsOptions,
  type LogLine,
  LogLinesLostError,
  parseLogOptions,
  type StreamLogsOptions,
  selectLogLines,
} from '@berth/core';
import { changed, notify } from '../containers/changes.js';
import { copy, type MockContainer, type MockState } from '../engine/mock-state.js';

export function appendLog(
  state: MockState,
  container: MockContainer,
  stream: 'stdout' | 'stderr',
  line: string,
): void {
  container.logs.push({ stream, line, timestamp: state.now() });
  notify(container);
}

export function containerLogs(state: MockState, id: string, options: GetLogsOptions): string {
  parseLogOptions(options);
  return formatLogLines(selectLogLines(state.container(id).logs, options), options.timestamps);
}

/**
 * Drops all but the last `keep` lines of a container's log, as an engine's log rotation does.
 * Returns how many lines were dropped.
 */
export function rotateLogs(state: MockState, id: string, keep: number): number {
  const container = state.container(id);
  const dropped = Math.max(0, container.logs.length - Math.max(0, Math.floor(keep)));
  container.logs.splice(0, dropped);
  container.logBase += dropped;
  notify(container);
  return dropped;
}

/** The backlog, then (with `follow`) every new line until the container ends or the signal aborts. */
export async function* streamContainerLogs(
  state: MockState,
  id: string,
  options: StreamLogsOptions,
): AsyncGenerator<LogLine> {
  options.signal?.throwIfAborted();
  parseLogOptions(options);
  const container = state.container(id);
  const backlog = selectLogLines(container.logs, options);
  // Absolute line numbers, taken before the backlog is handed out (lines may come meanwhile),
  // so lines rotated away under the follower are noticed.
  let seen = container.logBase + container.logs.length;
  let last: Date | undefined;
  for (const line of backlog) {
    last = line.timestamp;
    yield copy(line);
  }
  if (!options.follow) return;
  const wanted = (line: LogLine) =>
    line.stream === 'stdout' ? options.stdout !== false : options.stderr !== false;
  for (;;) {
    if (seen < container.logBase) {
      throw new LogLinesLostError(
        id,
        last,
        container.logs[0]?.timestamp,
        'the mock rotated its log (rotateLogs) before the follower read it',
      );
    }
    while (seen < container.logBase + container.logs.length) {
      const line = container.logs[seen++ - container.logBase] as LogLine;
      if (wanted(line)) {
        last = line.timestamp;
        yield copy(line);
      }
      if (seen < container.logBase) break;
    }
    if (seen < container.logBase) continue;
    const { status } = container.instance;
    if (status !== 'running' && status !== 'created' && status !== 'paused') return;
    try {
      await changed(container, options.signal);
    } catch {
      return;
    }
  }
}
