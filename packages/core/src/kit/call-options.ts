import { z } from 'zod';
import { ConfigurationError } from '../errors/index.js';
import { withoutSignal } from '../plain-data.js';
import type { CleanupFilter } from '../types.js';
import { parseInput } from '../validation.js';
import type { ParsedRemoveOptions, ParsedStopOptions } from './primitives.js';

/* The options of stop, restart, remove and cleanup, read once here for every driver. */

const StopOptionsSchema = z.strictObject({
  timeout: z.number().nonnegative().max(86_400).optional(),
  force: z.boolean().default(false),
});

const RemoveOptionsSchema = z.strictObject({
  force: z.boolean().default(false),
  volumes: z.boolean().default(false),
});

export function parseStopOptions(options: unknown): ParsedStopOptions {
  return parseInput(
    StopOptionsSchema,
    withoutSignal(options ?? {}, 'stop options'),
    'stop options',
  );
}

export function parseRemoveOptions(options: unknown): ParsedRemoveOptions {
  return parseInput(
    RemoveOptionsSchema,
    withoutSignal(options ?? {}, 'remove options'),
    'remove options',
  );
}

const nonEmpty = z.string().min(1).max(256);
const CleanupFilterSchema = z.union([
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({ sessionId: nonEmpty, tenantId: nonEmpty.optional() }),
  z.strictObject({ tenantId: nonEmpty }),
]);

/** A cleanup filter; an empty one is refused rather than taken to mean everything. */
export function parseCleanupFilter(filter: unknown): CleanupFilter {
  try {
    return parseInput(CleanupFilterSchema, filter, 'cleanup filter') as CleanupFilter;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new ConfigurationError(
      "cleanup needs { sessionId: '<id>' } (optionally with tenantId), { tenantId: '<id>' }, or { all: true } to remove everything; an empty or other filter is refused rather than taken to mean everything",
      error.issues,
      { cause: error },
    );
  }
}

/** Whether an object with these owners falls under `filter`. */
export function cleanupMatches(
  filter: CleanupFilter,
  owner: { sessionId?: string | undefined; tenantId?: string | undefined },
): boolean {
  if ('all' in filter) return true;
  if (filter.sessionId !== undefined && owner.sessionId !== filter.sessionId) return false;
  if (filter.tenantId !== undefined && owner.tenantId !== filter.tenantId) return false;
  return true;
}
