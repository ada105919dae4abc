import { ConfigurationError, type DriverCapabilities } from '@berth/core';

type BooleanCapability = Exclude<keyof DriverCapabilities, 'networks'>;

/**
 * Capabilities a request needs beyond what its config asks the driver to enforce, such as
 * `exec` or `stats` for what the caller will do with the container, or `networks: 'isolated'`
 * for a real network namespace (`'logical'`: any networks at all).
 */
export type CapabilityNeeds = { [K in BooleanCapability]?: boolean } & {
  networks?: 'isolated' | 'logical';
};

// A Record over every key, so a capability added to the contract cannot be forgotten here.
const CAPABILITY_NAMES: Record<keyof DriverCapabilities, true> = {
  cpu: true,
  memory: true,
  pids: true,
  disk: true,
  readOnlyRootfs: true,
  noNewPrivileges: true,
  user: true,
  capabilityDrop: true,
  networks: true,
  volumes: true,
  ports: true,
  exec: true,
  stats: true,
  logsFollow: true,
  healthchecks: true,
  volumeSize: true,
  pause: true,
  signals: true,
  processes: true,
  processAttach: true,
  files: true,
  lifetimes: true,
  placement: true,
  restarts: true,
};

const KNOWN = Object.keys(CAPABILITY_NAMES) as (keyof DriverCapabilities)[];

export function readNeeds(needs: unknown): CapabilityNeeds {
  if (needs === undefined) return {};
  if (typeof needs !== 'object' || needs === null || Array.isArray(needs)) {
    throw new ConfigurationError(
      `select: needs must be an object of capabilities, e.g. { exec: true, networks: 'isolated' }, got ${JSON.stringify(needs)}.`,
    );
  }
  for (const [key, value] of Object.entries(needs)) {
    if (!(key in CAPABILITY_NAMES)) {
      throw new ConfigurationError(
        `select: needs names '${key}', which is no driver capability: they are ${KNOWN.join(', ')}.`,
      );
    }
    const valid =
      key === 'networks'
        ? value === 'isolated' || value === 'logical' || value === undefined
        : typeof value === 'boolean' || value === undefined;
    if (!valid) {
      throw new ConfigurationError(
        key === 'networks'
          ? `select: needs.networks must be 'isolated' or 'logical', got ${JSON.stringify(value)}.`
          : `select: needs.${key} must be true (or false for no need), got ${JSON.stringify(value)}.`,
      );
    }
  }
  return needs as CapabilityNeeds;
}

/** Why `caps` does not meet `needs`, one reason per capability missing. */
export function unmetNeeds(needs: CapabilityNeeds, caps: DriverCapabilities): string[] {
  const reasons: string[] = [];
  for (const key of KNOWN) {
    if (key === 'networks') {
      const need = needs.networks;
      if (need === undefined) continue;
      const has = caps.networks;
      if (has === false || (need === 'isolated' && has !== 'isolated')) {
        reasons.push(
          `needs ${need} networks, and it has ${has === false ? 'none' : `${has} ones only`}`,
        );
      }
    } else if (needs[key] === true && caps[key] !== true) {
      reasons.push(`needs ${key}, which it does not offer`);
    }
  }
  return reasons;
}
