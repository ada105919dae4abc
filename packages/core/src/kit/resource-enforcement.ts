import { type UnsupportedFeature, UnsupportedFeatureError } from '../errors/index.js';
import type { NetworkConfig, VolumeConfig } from '../schemas.js';
import type { DriverCapabilities, EnforcementMode } from '../types.js';

/*
 * Enforcement for volumes and networks, decided the way it is for containers: fail closed
 * under strict, or go on under best-effort with the list of what was not enforced.
 */

function decide(
  missing: UnsupportedFeature[],
  mode: EnforcementMode,
  driver: string,
): UnsupportedFeature[] {
  if (missing.length > 0 && mode === 'strict') {
    throw new UnsupportedFeatureError(
      missing,
      `Driver '${driver}' on this host cannot enforce them. Remove these settings, use a driver or host that enforces them, or create the driver with enforcement: 'best-effort' to go on without them.`,
    );
  }
  return missing;
}

export function volumeEnforcement(
  config: VolumeConfig,
  caps: DriverCapabilities,
  mode: EnforcementMode,
  driver: string,
  reasonOf?: (feature: string) => string | undefined,
): UnsupportedFeature[] {
  if (!caps.volumes) {
    // Without volumes there is nothing to make, best-effort or not.
    throw new UnsupportedFeatureError([{ feature: 'volumes', path: 'volume' }]);
  }
  const missing: UnsupportedFeature[] = [];
  if (config.sizeMb !== undefined && caps.volumeSize !== true) {
    missing.push({
      feature: 'volumeSize',
      path: 'sizeMb',
      reason: reasonOf?.('volumeSize') ?? 'this host cannot cap a volume',
    });
  }
  return decide(missing, mode, driver);
}

export function networkEnforcement(
  config: NetworkConfig,
  caps: DriverCapabilities,
  mode: EnforcementMode,
  driver: string,
  /** The driver's own words for why, where it knows (what its probe saw). */
  reasonOf?: (feature: string) => string | undefined,
): UnsupportedFeature[] {
  if (caps.networks === false) {
    throw new UnsupportedFeatureError([{ feature: 'networks', path: 'network' }]);
  }
  const missing: UnsupportedFeature[] = [];
  if (config.internal && caps.networks !== 'isolated') {
    missing.push({
      feature: 'networks',
      path: 'internal',
      reason:
        reasonOf?.('networks') ??
        'networks here are logical: an internal one would not keep its containers off the host',
    });
  }
  return decide(missing, mode, driver);
}
