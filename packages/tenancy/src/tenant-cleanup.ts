import { type CleanupFilter, type CleanupResult, throwConfigurationIssues } from '@berth/core';

const NOTHING: CleanupResult = { containers: 0, volumes: 0, networks: 0 };

/** Cleanup narrowed to one tenant: `{ all: true }` is all of its objects, another's is nothing. */
export async function cleanupFor(
  tenantId: string,
  filter: unknown,
  run: (filter: CleanupFilter) => Promise<CleanupResult>,
): Promise<CleanupResult> {
  const f = (typeof filter === 'object' && filter !== null ? filter : {}) as Record<
    string,
    unknown
  >;
  const keys = Object.keys(f).sort().join(',');
  const valid =
    (keys === 'all' && f.all === true) ||
    (keys === 'tenantId' && typeof f.tenantId === 'string') ||
    ((keys === 'sessionId' || keys === 'sessionId,tenantId') && typeof f.sessionId === 'string');
  if (!valid) {
    // The driver's own ConfigurationError, without the driver ever running it unnarrowed.
    throwConfigurationIssues('cleanup filter', [
      {
        path: [],
        message:
          "cleanup needs { sessionId: '<id>' }, { tenantId: '<id>' } or { all: true } (all of this tenant's objects); an empty or other filter is refused rather than taken to mean everything",
        stage: 'schema',
      },
    ]);
  }
  if (f.tenantId !== undefined && f.tenantId !== tenantId) return { ...NOTHING };
  if (typeof f.sessionId === 'string') return run({ sessionId: f.sessionId, tenantId });
  return run({ tenantId });
}
