import { type DriverHealth, getErrorMessage, isAbortError } from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type { EngineContainerSummary } from '../mapping/instance.js';
import { labelFilter } from '../mapping/labels.js';
import type { EngineSession } from './session.js';

/** The engine's version and the managed containers' counts; unhealthy when it does not answer. */
export async function healthCheck(
  session: EngineSession,
  options: PrimitiveContext,
): Promise<DriverHealth> {
  const { signal } = options;
  signal?.throwIfAborted();
  const uptime = (Date.now() - session.startedAt) / 1000;
  try {
    const [version, summaries] = await Promise.all([
      session.call<{ Version: string }>(
        { method: 'GET', path: '/version', signal },
        { kind: 'engine' },
      ),
      session.call<EngineContainerSummary[]>(
        {
          method: 'GET',
          path: '/containers/json',
          query: { all: true, filters: labelFilter([], session.owner) },
          signal,
        },
        { kind: 'engine' },
      ),
    ]);
    const running = summaries.filter((c) => c.State === 'running').length;
    return {
      status: 'healthy',
      version: version.Version,
      uptime,
      containers: { total: summaries.length, running, stopped: summaries.length - running },
    };
  } catch (error) {
    if (signal?.aborted || isAbortError(error)) throw error;
    return {
      status: 'unhealthy',
      version: 'unknown',
      uptime,
      containers: { total: 0, running: 0, stopped: 0 },
      error: getErrorMessage(error),
    };
  }
}
