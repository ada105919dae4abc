import type { UnsupportedFeature } from '../errors/index.js';

/**
 * The label vocabulary every driver stamps on what it makes. State is read back through these,
 * so a new process (or a crashed one's successor) sees, lists and cleans up what an earlier one
 * made, on any backend that stores labels. `berth.` keys are reserved: callers cannot set them.
 */
export const BERTH_LABELS = {
  managed: 'berth.managed',
  session: 'berth.session',
  tenant: 'berth.tenant',
  driver: 'berth.driver',
  driverVersion: 'berth.driver-version',
  /** JSON list of what was asked for but not enforced (best-effort only). */
  unenforced: 'berth.unenforced',
  /** One per create call: finds what a create made when its caller never heard back. */
  create: 'berth.create',
  /** A container's lifetime as made (JSON); extensions live in the driver's lifetime store. */
  lifetime: 'berth.lifetime',
} as const;

export const RESERVED_LABEL_PREFIX = 'berth.';

export interface LabelOwner {
  driver: string;
  driverVersion: string;
  sessionId?: string | undefined;
  tenantId?: string | undefined;
  unenforced?: readonly UnsupportedFeature[] | undefined;
  /** The create call's token (BERTH_LABELS.create). */
  token?: string | undefined;
}

/** The caller's labels (driver defaults first, so per-object labels win) plus Berth's own. */
export function berthLabels(
  defaults: Readonly<Record<string, string>>,
  own: Readonly<Record<string, string>>,
  owner: LabelOwner,
): Record<string, string> {
  const labels: Record<string, string> = {
    ...defaults,
    ...own,
    [BERTH_LABELS.managed]: 'true',
    [BERTH_LABELS.driver]: owner.driver,
    [BERTH_LABELS.driverVersion]: owner.driverVersion,
  };
  if (owner.sessionId !== undefined) labels[BERTH_LABELS.session] = owner.sessionId;
  if (owner.tenantId !== undefined) labels[BERTH_LABELS.tenant] = owner.tenantId;
  if (owner.unenforced && owner.unenforced.length > 0) {
    labels[BERTH_LABELS.unenforced] = JSON.stringify(owner.unenforced);
  }
  if (owner.token !== undefined) labels[BERTH_LABELS.create] = owner.token;
  return labels;
}

export function isManaged(labels: Readonly<Record<string, string>> | null | undefined): boolean {
  return labels?.[BERTH_LABELS.managed] === 'true';
}

/** The caller's own labels: everything but the reserved `berth.` keys. */
export function userLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).filter(([key]) => !key.startsWith(RESERVED_LABEL_PREFIX)),
  );
}

export function readUnenforced(
  labels: Readonly<Record<string, string>>,
): UnsupportedFeature[] | undefined {
  const raw = labels[BERTH_LABELS.unenforced];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as UnsupportedFeature[]) : undefined;
  } catch {
    // A label edited by hand must not make the object unreadable.
    return undefined;
  }
}

/** Labels of an object a driver makes for `config`, owned by `driver`. */
export function ownedLabels(
  defaults: Readonly<Record<string, string>>,
  driver: { name: string; version: string },
  config: { labels: Record<string, string>; sessionId?: string; tenantId?: string },
  unenforced: readonly { feature: string; path: string }[],
  token: string,
): Record<string, string> {
  return berthLabels(defaults, config.labels, {
    driver: driver.name,
    driverVersion: driver.version,
    sessionId: config.sessionId,
    tenantId: config.tenantId,
    unenforced,
    token,
  });
}
