import type { ContainerConfig, ValidationIssue } from '@berth/core';
import { BERTH_LABELS } from '@berth/core/kit';
import type { ManagerApi } from '../cluster/manager.js';
import type { NodeEngines } from '../cluster/node-engines.js';
import { findNetwork } from '../resources/networks.js';
import { findVolume, VOLUME_NODE_LABEL } from '../resources/volumes.js';

/** Where a checked config's network and volumes are, for the create that follows. */
export interface Resolved {
  networkId?: string | undefined;
  /** The node every mounted volume lives on. */
  pinTo?: string | undefined;
}

export interface CheckPolicy {
  allowNetworks: readonly string[];
}

const issue = (path: (string | number)[], message: string): ValidationIssue => ({
  path,
  message,
  stage: 'security',
});

/**
 * The swarm's own checks of a valid config: its network must be an overlay this driver made
 * (or one allowed by name), its volumes this driver's, of the same session and tenant, and on
 * one node; bind mounts are refused, as their source is a directory of whichever node runs it.
 */
export async function checkConfig(
  manager: ManagerApi,
  engines: NodeEngines,
  config: ContainerConfig,
  policy: CheckPolicy,
  signal: AbortSignal | undefined,
): Promise<{ issues: ValidationIssue[]; resolved: Resolved }> {
  const issues: ValidationIssue[] = [];
  const resolved: Resolved = {};
  if (config.network !== undefined) {
    const found = await findNetwork(manager, config.network, signal);
    const allowed = policy.allowNetworks.includes(config.network);
    if (!found) {
      issues.push(
        issue(
          ['network'],
          `no swarm network ${config.network}: create it with createNetwork first`,
        ),
      );
    } else if (!found.owned && !allowed) {
      issues.push(
        issue(
          ['network'],
          `network ${config.network} was not made by this driver: containers join only its own networks, or those named in the allowNetworks option`,
        ),
      );
    } else if (found.network.Scope !== 'swarm') {
      issues.push(
        issue(
          ['network'],
          `network ${config.network} is not a swarm network (scope ${found.network.Scope})`,
        ),
      );
    } else {
      resolved.networkId = found.network.Id;
    }
  }
  const nodes = new Set<string>();
  for (const [index, mount] of config.volumes.entries()) {
    if (mount.type === 'bind') {
      issues.push(
        issue(
          ['volumes', index, 'type'],
          'bind mounts are refused: the source would be a directory of whichever node runs the task; use a volume',
        ),
      );
      continue;
    }
    const found = await findVolume(engines, mount.source, signal);
    const labels = found?.volume.Labels ?? {};
    if (!found) {
      issues.push(
        issue(
          ['volumes', index, 'source'],
          `no volume ${mount.source} on any node that answers: create it with createVolume first`,
        ),
      );
    } else if (
      labels[BERTH_LABELS.session] !== config.sessionId ||
      labels[BERTH_LABELS.tenant] !== config.tenantId
    ) {
      issues.push(
        issue(
          ['volumes', index, 'source'],
          `volume ${mount.source} belongs to another session or tenant`,
        ),
      );
    } else {
      nodes.add(labels[VOLUME_NODE_LABEL] ?? found.engine.nodeId);
    }
  }
  if (nodes.size > 1) {
    issues.push(
      issue(
        ['volumes'],
        `the volumes live on different nodes (${[...nodes].join(', ')}): a container can only mount volumes of one node`,
      ),
    );
  } else if (nodes.size === 1) {
    resolved.pinTo = [...nodes][0];
  }
  return { issues, resolved };
}
