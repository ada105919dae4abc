import type { UnsupportedFeature } from '@berth/core';
import { BERTH_LABELS, isManaged, berthLabels as kitLabels, readUnenforced } from '@berth/core/kit';
import { DRIVER_NAME, DRIVER_VERSION } from '../identity.js';

/** The label vocabulary, one for every driver: defined in the kit. */
export const LABEL = BERTH_LABELS;

export interface Ownership {
  sessionId?: string | undefined;
  tenantId?: string | undefined;
  unenforced?: UnsupportedFeature[] | undefined;
  token?: string | undefined;
}

/** The user's labels (defaults first, so per-object labels win) plus Berth's own. */
export function berthLabels(
  defaults: Record<string, string>,
  own: Record<string, string>,
  ownership: Ownership,
): Record<string, string> {
  return kitLabels(defaults, own, {
    driver: DRIVER_NAME,
    driverVersion: DRIVER_VERSION,
    ...ownership,
  });
}

export { readUnenforced };

/**
 * Whether an object is one this driver made: Berth's, and made by the driver named `owner`. An
 * engine can hold other Berth drivers' objects too (a swarm's task containers on its nodes),
 * which this one must neither list, control nor clean up.
 */
export function ownedBy(
  labels: Readonly<Record<string, string>> | null | undefined,
  owner: string = DRIVER_NAME,
): boolean {
  return isManaged(labels) && labels?.[LABEL.driver] === owner;
}

/** Engine list filter for everything this driver made, optionally narrowed. */
export function labelFilter(
  extra: string[] = [],
  owner: string = DRIVER_NAME,
): { label: string[] } {
  return { label: [`${LABEL.managed}=true`, `${LABEL.driver}=${owner}`, ...extra] };
}
