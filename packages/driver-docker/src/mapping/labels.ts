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

export { isManaged, readUnenforced };

/** Engine list filter for everything this driver made, optionally narrowed. */
export function labelFilter(extra: string[] = []): { label: string[] } {
  return { label: [`${LABEL.managed}=true`, ...extra] };
}
