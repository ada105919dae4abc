import { type UnsupportedFeature, UnsupportedFeatureError } from './errors/index.js';
import type { ContainerConfig } from './schemas.js';
import type { DriverCapabilities, EnforcementMode } from './types.js';

/** Everything `config` asks for that a host with `caps` would not enforce. */
export function unenforcedFeatures(
  config: ContainerConfig,
  caps: DriverCapabilities,
): UnsupportedFeature[] {
  const missing: UnsupportedFeature[] = [];
  const need = (ok: boolean, feature: string, path: string, reason?: string) => {
    if (!ok) missing.push(reason ? { feature, path, reason } : { feature, path });
  };
  const { resources, security } = config;
  need(caps.cpu, 'cpu', 'resources.cpu');
  need(caps.memory, 'memory', 'resources.memory');
  need(caps.pids, 'pids', 'resources.pids');
  if (resources.disk !== undefined) need(caps.disk, 'disk', 'resources.disk');
  if (security.readOnly) need(caps.readOnlyRootfs, 'readOnlyRootfs', 'security.readOnly');
  if (security.noNewPrivileges) {
    need(caps.noNewPrivileges, 'noNewPrivileges', 'security.noNewPrivileges');
  }
  need(caps.user, 'user', 'security.user');
  if (security.capabilities.drop.length > 0 || security.capabilities.add.length > 0) {
    need(caps.capabilityDrop, 'capabilityDrop', 'security.capabilities');
  }
  if (config.network !== undefined) {
    need(caps.networks !== false, 'networks', 'network');
  }
  if (config.volumes.length > 0) need(caps.volumes, 'volumes', 'volumes');
  if (config.ports.length > 0) need(caps.ports, 'ports', 'ports');
  if (config.healthcheck) need(caps.healthchecks, 'healthchecks', 'healthcheck');
  if (config.lifetime) need(caps.lifetimes, 'lifetimes', 'lifetime');
  if (config.placement) need(caps.placement === true, 'placement', 'placement');
  if (config.restart) need(caps.restarts === true, 'restarts', 'restart');
  return missing;
}

/**
 * Fails closed: under `strict` anything not enforced throws UnsupportedFeatureError naming each
 * item. Under `best-effort` it returns the list, for the instance to carry and a warning to report.
 */
export function checkEnforcement(
  config: ContainerConfig,
  caps: DriverCapabilities,
  mode: EnforcementMode,
  driverName?: string,
  /** Why the driver lacks a feature, in its words: put in the strict refusal. */
  reasonOf?: (feature: string) => string | undefined,
): UnsupportedFeature[] {
  const missing = unenforcedFeatures(config, caps);
  if (missing.length > 0 && mode === 'strict') {
    const explained = missing.map((item) => {
      const reason = item.reason ?? reasonOf?.(item.feature);
      return reason === undefined ? item : { ...item, reason };
    });
    throw new UnsupportedFeatureError(
      explained,
      `${driverName ? `Driver '${driverName}'` : 'This driver'} on this host cannot enforce them. Remove these settings, use a driver or host that enforces them, or create the driver with enforcement: 'best-effort' to run without them (the instance then lists what was not enforced).`,
    );
  }
  return missing;
}
