import {
  bindSourceProblem,
  type ContainerConfig,
  normalizeCapabilityName,
  type ValidationIssue,
} from '@berth/core';
import { globMatch } from './glob.js';

/** Per-container ceilings a tenant's config may not exceed. */
export interface MaxResources {
  cpu?: number;
  memoryMb?: number;
  diskMb?: number;
  pids?: number;
}

export interface TenantPolicy {
  /** Image globs (`*`, `?`) a container may use; unset: any image. */
  images?: string[];
  /**
   * A config turning off the read-only root filesystem is refused (default true). Refused, not
   * silently turned back on: a program that needs a writable root fails at create, with the
   * reason, instead of failing oddly at run time.
   */
  requireReadOnlyRootfs?: boolean;
  /** A config turning off no-new-privileges is refused (default true). */
  requireNoNewPrivileges?: boolean;
  /** Capabilities a config may add (default none: no added capability at all). */
  allowCapabilities?: string[];
  /** Host paths no bind source may be, be inside, or contain, beyond the ones always refused. */
  deniedBindSources?: string[];
  maxResources?: MaxResources;
  /** Users (`uid:gid` or names, exact) a container or exec may run as; unset: any non-root user. */
  users?: string[];
  /** Accept uid 0 / gid 0 (default false). */
  allowRoot?: boolean;
  /**
   * Where the driver cannot isolate networks (`capabilities().networks !== 'isolated'`), the
   * tenant view refuses to create anything (`'required'`, the default), or goes on with logical
   * networks only (`'best-effort'`), which do not stop one tenant reaching another.
   */
  segmentation?: 'required' | 'best-effort';
}

// Beyond core's list: the root itself and the engines' sockets wherever they are put.
const ALWAYS_DENIED = ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd'];

function isRoot(part: string): boolean {
  return /^0+$/.test(part) || part.toLowerCase() === 'root';
}

/** Why `user` may not be used under `policy`, or undefined. */
export function userProblem(user: string, policy: TenantPolicy): string | undefined {
  const [uid = '', gid] = user.split(':');
  if (policy.allowRoot !== true && (isRoot(uid) || (gid !== undefined && isRoot(gid)))) {
    return `user '${user}' is uid or gid 0 (root), which this tenant's policy refuses: use a non-root numeric user such as '65534:65534'`;
  }
  if (policy.users !== undefined && !policy.users.includes(user)) {
    return `user '${user}' is not one this tenant may run as (${policy.users.join(', ') || 'none'}): use one of those`;
  }
  return undefined;
}

function networkProblem(network: string | undefined): string | undefined {
  if (network === undefined) return undefined;
  if (network === 'host' || network === 'bridge' || network === 'default') {
    return `network '${network}' is shared with the host or with every other tenant: leave network unset to join this tenant's own network, or name one of the tenant's networks`;
  }
  if (network.startsWith('container:')) {
    return `network '${network}' joins another container's network namespace: leave network unset, or name one of this tenant's networks`;
  }
  return undefined;
}

/** Every way `config` breaks `policy`, as security-stage issues. */
export function policyIssues(config: ContainerConfig, policy: TenantPolicy): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (path: (string | number)[], message: string) =>
    issues.push({ path, message, stage: 'security' });

  if (policy.images !== undefined && !policy.images.some((p) => globMatch(p, config.image))) {
    add(
      ['image'],
      `image '${config.image}' is not allowed for this tenant: use one matching ${policy.images.join(', ') || '(none)'}`,
    );
  }
  if (policy.requireReadOnlyRootfs !== false && !config.security.readOnly) {
    add(
      ['security', 'readOnly'],
      "this tenant's containers must have a read-only root filesystem: leave security.readOnly unset or true, and write to a volume",
    );
  }
  if (policy.requireNoNewPrivileges !== false && !config.security.noNewPrivileges) {
    add(
      ['security', 'noNewPrivileges'],
      "this tenant's containers must not gain privileges: leave security.noNewPrivileges unset or true",
    );
  }
  const allowed = new Set((policy.allowCapabilities ?? []).map(normalizeCapabilityName));
  config.security.capabilities.add.forEach((cap, i) => {
    if (!allowed.has(normalizeCapabilityName(cap))) {
      add(
        ['security', 'capabilities', 'add', i],
        `capability '${cap}' may not be added for this tenant${allowed.size > 0 ? ` (allowed: ${[...allowed].join(', ')})` : ''}: remove it`,
      );
    }
  });
  const user = userProblem(config.security.user, policy);
  if (user !== undefined) add(['security', 'user'], user);

  const privateDirs = [...ALWAYS_DENIED, ...(policy.deniedBindSources ?? [])];
  config.volumes.forEach((mount, i) => {
    if (mount.type !== 'bind') return;
    // The view cannot see the host's symlinks (the engine may be remote): a lexical check here,
    // the driver's own bind policy resolves them.
    const problem = bindSourceProblem(mount.source, mount.source, {
      allowedRoots: ['/'],
      privateDirs,
    });
    if (problem !== undefined) add(['volumes', i, 'source'], problem);
  });

  const max = policy.maxResources ?? {};
  const ceilings: [keyof MaxResources, 'cpu' | 'memory' | 'disk' | 'pids', number | undefined][] = [
    ['cpu', 'cpu', config.resources.cpu],
    ['memoryMb', 'memory', config.resources.memory],
    ['diskMb', 'disk', config.resources.disk],
    ['pids', 'pids', config.resources.pids],
  ];
  for (const [key, field, value] of ceilings) {
    const ceiling = max[key];
    if (ceiling === undefined) continue;
    if (value === undefined) {
      add(
        ['resources', field],
        `this tenant's containers need resources.${field} set, at most ${ceiling}`,
      );
    } else if (value > ceiling) {
      add(
        ['resources', field],
        `resources.${field} ${value} is above this tenant's per-container maximum ${ceiling}: ask for at most ${ceiling}`,
      );
    }
  }
  const network = networkProblem(config.network);
  if (network !== undefined) add(['network'], network);
  return issues;
}

/** Checks a policy given to forTenant, so a typo cannot silently weaken it. */
export function policyShapeIssues(policy: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (policy === undefined) return issues;
  const add = (path: string[], message: string) =>
    issues.push({ path: ['policy', ...path], message, stage: 'schema' });
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    add([], 'the policy must be an object');
    return issues;
  }
  const known = new Set([
    'images',
    'requireReadOnlyRootfs',
    'requireNoNewPrivileges',
    'allowCapabilities',
    'deniedBindSources',
    'maxResources',
    'users',
    'allowRoot',
    'segmentation',
  ]);
  const p = policy as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!known.has(key)) add([key], `unknown policy field (known: ${[...known].join(', ')})`);
  }
  for (const key of ['images', 'allowCapabilities', 'deniedBindSources', 'users']) {
    const value = p[key];
    if (
      value !== undefined &&
      !(Array.isArray(value) && value.every((v) => typeof v === 'string'))
    ) {
      add([key], 'must be an array of strings');
    }
  }
  for (const key of ['requireReadOnlyRootfs', 'requireNoNewPrivileges', 'allowRoot']) {
    if (p[key] !== undefined && typeof p[key] !== 'boolean') add([key], 'must be true or false');
  }
  if (
    p.segmentation !== undefined &&
    p.segmentation !== 'required' &&
    p.segmentation !== 'best-effort'
  ) {
    add(['segmentation'], "must be 'required' or 'best-effort'");
  }
  issues.push(
    ...limitShapeIssues(
      p.maxResources,
      ['maxResources'],
      ['cpu', 'memoryMb', 'diskMb', 'pids'],
      'policy',
    ),
  );
  return issues;
}

/** Issues of an object of non-negative number limits (quotas, maxima). */
export function limitShapeIssues(
  value: unknown,
  path: string[],
  keys: string[],
  root: string,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (value === undefined) return issues;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ path: [root, ...path], message: 'must be an object', stage: 'schema' }];
  }
  for (const [key, limit] of Object.entries(value)) {
    if (!keys.includes(key)) {
      issues.push({
        path: [root, ...path, key],
        message: `unknown limit (known: ${keys.join(', ')})`,
        stage: 'schema',
      });
    } else if (typeof limit !== 'number' || !(limit >= 0) || !Number.isFinite(limit)) {
      issues.push({
        path: [root, ...path, key],
        message: `must be a finite number of at least 0, got ${String(limit)}`,
        stage: 'schema',
      });
    }
  }
  return issues;
}
