import type { UnsupportedFeature } from '@berth/core';
import packageJson from '../package.json' with { type: 'json' };

export const DRIVER_NAME = 'docker';
export const DRIVER_VERSION: string = packageJson.version;

/**
 * Label keys the driver stamps on everything it makes. All state is read back from the engine
 * through them, so a new process (or a crashed one's successor) sees and cleans up what an
 * earlier one made, with no state of its own.
 */
export const LABEL = {
  managed: 'berth.managed',
  session: 'berth.session',
  tenant: 'berth.tenant',
  driver: 'berth.driver',
  driverVersion: 'berth.driver-version',
  unenforced: 'berth.unenforced',
  /** One per create call: finds what a create made when its caller never heard back. */
  create: 'berth.create',
} as const;

export interface Ownership {
  sessionId?: string | undefined;
  tenantId?: string | undefined;
  unenforced?: UnsupportedFeature[] | undefined;
}

/** The user's labels (defaults first, so per-object labels win) plus the driver's own. */
export function berthLabels(
  defaults: Record<string, string>,
  own: Record<string, string>,
  ownership: Ownership,
): Record<string, string> {
  const labels: Record<string, string> = {
    ...defaults,
    ...own,
    [LABEL.managed]: 'true',
    [LABEL.driver]: DRIVER_NAME,
    [LABEL.driverVersion]: DRIVER_VERSION,
  };
  if (ownership.sessionId !== undefined) labels[LABEL.session] = ownership.sessionId;
  if (ownership.tenantId !== undefined) labels[LABEL.tenant] = ownership.tenantId;
  if (ownership.unenforced && ownership.unenforced.length > 0) {
    labels[LABEL.unenforced] = JSON.stringify(ownership.unenforced);
  }
  return labels;
}

export function isManaged(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL.managed] === 'true';
}

export function readUnenforced(labels: Record<string, string>): UnsupportedFeature[] | undefined {
  const raw = labels[LABEL.unenforced];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as UnsupportedFeature[]) : undefined;
  } catch {
    // A label edited by hand must not make the container unreadable.
    return undefined;
  }
}

/** Engine list filter for everything this driver made, optionally narrowed. */
export function labelFilter(extra: string[] = []): { label: string[] } {
  return { label: [`${LABEL.managed}=true`, ...extra] };
}
