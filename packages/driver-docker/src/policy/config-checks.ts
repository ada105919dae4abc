import {
  ConfigurationError,
  type ContainerConfig,
  type NetworkConfig,
  NetworkNotFoundError,
  type ValidationIssue,
  type VolumeConfig,
} from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import { INTERNAL_BRIDGE_OPTIONS } from '../engine/network-isolation.js';
import type { EngineSession } from '../engine/session.js';
import { networkManaged } from '../volumes-networks/networks.js';
import { checkBindMounts, checkNetwork } from './create-policy.js';

/** The mount and network policy, and the networks a config names, before anything is made. */
export async function containerIssues(
  session: EngineSession,
  config: ContainerConfig,
  ctx: PrimitiveContext,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  const collect = (check: () => void) => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      issues.push(...error.issues);
    }
  };
  collect(() => checkBindMounts(config, session.policy));
  if (config.network !== undefined) {
    const managed = await networkManaged(session, config.network, ctx.signal);
    if (managed === undefined) throw new NetworkNotFoundError(config.network);
    collect(() => checkNetwork(config, session.policy, managed));
  }
  return issues;
}

/** Volume driver options can mount any host path (`local`: type=none,o=bind,device=/…). */
export function volumeIssues(config: VolumeConfig): ValidationIssue[] {
  if (config.options === undefined || Object.keys(config.options).length === 0) return [];
  return [
    {
      path: ['options'],
      message:
        'volume driver options are refused: with them a volume mounts any host path (type=none, o=bind, device=…), around allowedRoots; bind-mount the directory instead',
      stage: 'security',
    },
  ];
}

/** An internal network's bridge options are the driver's: they are what keeps the host off it. */
export function networkIssues(config: NetworkConfig): ValidationIssue[] {
  if (!config.internal) return [];
  return Object.keys(config.options ?? {})
    .filter((key) => key in INTERNAL_BRIDGE_OPTIONS || key.endsWith('enable_ip_masquerade'))
    .map((key) => ({
      path: ['options', key],
      message: 'set by the driver on internal networks (their isolation depends on it)',
      stage: 'security' as const,
    }));
}
