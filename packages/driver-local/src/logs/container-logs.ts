import type { LogLine, LogOptions } from '@berth/core';
import type { ParsedLogOptions } from '@berth/core/kit';
import { isLive, loadSnapshot } from '../containers/container-snapshot.js';
import type { EngineContext } from '../engine/engine-context.js';
import type { StateLayout } from '../state/state-layout.js';
import { followLogs, formatLogLines, readLogLines, readLogs } from './log-files.js';

function logPaths(layout: StateLayout, id: string) {
  return { stdout: layout.logFile(id, 'stdout'), stderr: layout.logFile(id, 'stderr') };
}

/** A container's logs as one text, as far as they are written now. */
export async function containerLogs(
  ctx: EngineContext,
  id: string,
  parsed: LogOptions,
): Promise<string> {
  const cid = await ctx.catalog.existingId(id);
  const lines = await readLogLines(logPaths(ctx.layout, cid), parsed);
  return formatLogLines(lines, parsed.timestamps === true);
}

/** A container's log lines; when following, new ones too until it has ended (paused is not). */
export async function* streamContainerLogs(
  ctx: EngineContext,
  id: string,
  parsed: ParsedLogOptions,
  signal: AbortSignal | undefined,
): AsyncIterable<LogLine> {
  const cid = await ctx.catalog.existingId(id);
  if (!parsed.follow) {
    yield* readLogs(logPaths(ctx.layout, cid), parsed, signal);
    return;
  }
  yield* followLogs(logPaths(ctx.layout, cid), parsed, {
    containerId: cid,
    isRunning: async () => {
      const snapshot = await loadSnapshot(ctx.layout, cid);
      return snapshot !== undefined && isLive(snapshot.status);
    },
    hold: () => ctx.pool.hold(),
    ...(signal ? { signal } : {}),
  });
}
