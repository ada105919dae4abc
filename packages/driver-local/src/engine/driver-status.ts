import type { DriverHealth } from '@berth/core';
import { isLive } from '../containers/container-snapshot.js';
import { capabilitiesOf, type HostFingerprint } from '../host/host-fingerprint.js';
import { PACKAGE_VERSION } from '../package-version.js';
import type { EngineContext } from './engine-context.js';

/** Why this driver does not enforce a feature, for the kit's messages; undefined if it does. */
export function unenforcedReason(
  host: HostFingerprint | undefined,
  feature: string,
): string | undefined {
  if (feature === 'networks') {
    return `internal networks cannot be isolated on this host: ${host?.networks.reason ?? 'no network namespaces'} (run the driver as root with iproute2 and util-linux, or create the network with internal: false)`;
  }
  if (feature === 'volumeSize') return 'the local driver cannot cap a volume';
  return undefined;
}

/**
 * The driver's health: degraded where the host lets it enforce less than a container may ask
 * for, unhealthy when the state directory or the host cannot be used at all.
 */
export async function driverHealth(ctx: EngineContext): Promise<DriverHealth> {
  const uptime = (Date.now() - ctx.startedAt) / 1000;
  try {
    const { host } = await ctx.init();
    const containers = await ctx.catalog.all();
    // Paused ones count as running: they have not ended (their state is 'running').
    const running = containers.filter((c) => isLive(c.status)).length;
    const caps = capabilitiesOf(host);
    const missing = (
      [
        'cpu',
        'memory',
        'pids',
        'readOnlyRootfs',
        'noNewPrivileges',
        'user',
        'capabilityDrop',
      ] as const
    ).filter((k) => !caps[k]);
    return {
      status: missing.length === 0 ? 'healthy' : 'degraded',
      version: PACKAGE_VERSION,
      uptime,
      containers: { total: containers.length, running, stopped: containers.length - running },
      ...(missing.length > 0
        ? { error: `this host does not let the driver enforce: ${missing.join(', ')}` }
        : {}),
    };
  } catch (error) {
    return {
      status: 'unhealthy',
      version: PACKAGE_VERSION,
      uptime,
      containers: { total: 0, running: 0, stopped: 0 },
      error: (error as Error).message,
    };
  }
}
