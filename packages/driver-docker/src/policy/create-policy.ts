import { realpathSync } from 'node:fs';
import { posix } from 'node:path';
import {
  bindSourceProblem,
  ConfigurationError,
  type ContainerConfig,
  type ValidationIssue,
} from '@berth/core';

/*
 * What a container config may ask of the engine, checked before the driver changes anything:
 * which host paths it may bind, which networks it may join. The engine itself would accept a
 * bind of its own socket and a container joining the host's network stack.
 */

export interface CreatePolicy {
  /** Host directories bind sources must lie in; none (the default) means no bind mounts. */
  allowedRoots: string[];
  /** Engine networks this driver did not make that containers may still join (`bridge`, …). */
  allowNetworks: string[];
}

function fail(issues: ValidationIssue[]): never {
  throw new ConfigurationError(
    `Refused by the Docker driver's policy (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues
      .map((i) => `  - ${i.path.join('.')}: ${i.message}`)
      .join('\n')}`,
    issues,
  );
}

/**
 * Where a bind source really is, as far as this process can tell: symlinks resolved when the
 * path exists here (an engine on this host), the path as given otherwise.
 */
function resolvedSource(source: string): string {
  try {
    return realpathSync(source);
  } catch {
    return posix.normalize(source);
  }
}

/** Bind sources inside the allowed roots and outside the deny-list (core's policy). */
export function checkBindMounts(config: ContainerConfig, policy: CreatePolicy): void {
  const issues: ValidationIssue[] = [];
  config.volumes.forEach((mount, index) => {
    if (mount.type !== 'bind') return;
    const problem = bindSourceProblem(mount.source, resolvedSource(mount.source), {
      allowedRoots: policy.allowedRoots,
    });
    if (problem)
      issues.push({ path: ['volumes', index, 'source'], message: problem, stage: 'security' });
  });
  if (issues.length > 0) fail(issues);
}

/**
 * A network the container may join: one this driver made (`managed`), or one listed in
 * allowNetworks. The host's stack (`host`) and another container's (`container:…`) only when
 * listed by that exact name.
 */
export function checkNetwork(
  config: ContainerConfig,
  policy: CreatePolicy,
  managed: boolean,
): void {
  const name = config.network;
  if (name === undefined || name === 'none' || policy.allowNetworks.includes(name)) return;
  let message: string | undefined;
  if (name === 'host') {
    message =
      "network 'host' gives the container the host's network stack (its 127.0.0.1 listeners included); list it in allowNetworks to accept that";
  } else if (name.startsWith('container:')) {
    message = `network '${name}' joins another container's network stack (its loopback-only services included); list it in allowNetworks to accept that`;
  } else if (!managed) {
    message = `network '${name}' was not made by Berth; create one with createNetwork, or list it in allowNetworks`;
  }
  if (message) fail([{ path: ['network'], message, stage: 'security' }]);
}
