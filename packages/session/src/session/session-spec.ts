import {
  ConfigurationError,
  type ContainerConfig,
  type ContainerConfigInput,
  containerConfigIssues,
  isObjectId,
  type ValidationIssue,
} from '@berth/core';
import { EXPIRES_LABEL, SERVICE_LABEL } from '../labels.js';

/** One service of a session: a container, what it waits for, and how long it may take. */
export interface ServiceSpec {
  /**
   * The container. `sessionId` and `tenantId` come from the session; volume sources and the
   * network name the session's own volumes and networks by their short names.
   */
  config: Omit<ContainerConfigInput, 'sessionId' | 'tenantId'>;
  /** Services that must be ready before this one starts. */
  dependsOn?: string[];
  /** How long it may take to become ready once started (default 30 s). */
  readyTimeoutMs?: number;
}

export interface SessionSpec {
  /** Default: a fresh `session-<random>` id. */
  id?: string;
  tenantId?: string;
  services: Record<string, ServiceSpec>;
  /** Volumes of the session, by short name; a service mounts one with `{ source: name }`. */
  volumes?: Record<string, { labels?: Record<string, string> }>;
  /** Networks of the session, by short name (internal unless said otherwise). */
  networks?: Record<string, { internal?: boolean; labels?: Record<string, string> }>;
  /** The session ends by itself this long after it started. */
  ttlMs?: number;
  /** The session ends by itself after this long without `touch()`. */
  idleMs?: number;
}

export interface PlannedService {
  name: string;
  config: ContainerConfig;
  dependsOn: string[];
  readyTimeoutMs: number;
}

export interface SessionPlan {
  id: string;
  tenantId: string | undefined;
  services: PlannedService[];
  /** In an order where every service comes after what it depends on. */
  order: string[];
  volumes: { name: string; short: string; labels: Record<string, string> }[];
  networks: { name: string; short: string; internal: boolean; labels: Record<string, string> }[];
  ttlMs: number | undefined;
  idleMs: number | undefined;
}

const SHORT_NAME = /^[a-z0-9][a-z0-9_-]{0,30}$/;

/** The objects of a session are named after it, so two sessions never collide. */
export function objectName(sessionId: string, short: string): string {
  return `${sessionId}-${short}`;
}

function positive(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * Everything checked before anything is made: names, references, the dependency graph (no
 * unknown service, no cycle) and every container config. All problems are reported at once.
 */
export function planSession(spec: SessionSpec, newId: () => string, now: number): SessionPlan {
  const issues: ValidationIssue[] = [];
  const issue = (path: (string | number)[], message: string) =>
    issues.push({ path, message, stage: 'schema' });
  const id = spec.id ?? newId();
  if (!isObjectId(id) || id.length > 64) issue(['id'], 'not a session id (letters, digits, _ . -)');
  const services = Object.entries(spec.services ?? {});
  if (services.length === 0) issue(['services'], 'a session needs at least one service');
  const volumes = Object.entries(spec.volumes ?? {});
  const networks = Object.entries(spec.networks ?? {});
  for (const [kind, entries] of [
    ['services', services],
    ['volumes', volumes],
    ['networks', networks],
  ] as const) {
    for (const [name] of entries) {
      if (!SHORT_NAME.test(name)) issue([kind, name], `not a short name (${SHORT_NAME.source})`);
    }
  }
  for (const key of ['ttlMs', 'idleMs'] as const) {
    if (spec[key] !== undefined && !positive(spec[key]))
      issue([key], 'must be a positive number of ms');
  }
  const volumeNames = new Set(volumes.map(([n]) => n));
  const networkNames = new Set(networks.map(([n]) => n));
  const planned: PlannedService[] = [];
  for (const [name, service] of services) {
    const path = ['services', name];
    const dependsOn = service.dependsOn ?? [];
    for (const dep of dependsOn) {
      if (!spec.services[dep]) issue([...path, 'dependsOn'], `unknown service '${dep}'`);
    }
    if (service.readyTimeoutMs !== undefined && !positive(service.readyTimeoutMs)) {
      issue([...path, 'readyTimeoutMs'], 'must be a positive number of ms');
    }
    const input = service.config as ContainerConfigInput;
    for (const [i, mount] of (input.volumes ?? []).entries()) {
      if (mount.type !== 'bind' && !volumeNames.has(mount.source)) {
        issue(
          [...path, 'config', 'volumes', i, 'source'],
          `not a volume of this session: '${mount.source}'`,
        );
      }
    }
    if (input.network !== undefined && !networkNames.has(input.network)) {
      issue([...path, 'config', 'network'], `not a network of this session: '${input.network}'`);
    }
    const labels: Record<string, string> = { ...input.labels, [SERVICE_LABEL]: name };
    if (spec.ttlMs !== undefined) labels[EXPIRES_LABEL] = String(now + spec.ttlMs);
    const rewritten = {
      ...input,
      sessionId: id,
      ...(spec.tenantId === undefined ? {} : { tenantId: spec.tenantId }),
      labels,
      ...(input.network === undefined ? {} : { network: objectName(id, input.network) }),
      ...(input.volumes === undefined
        ? {}
        : {
            volumes: input.volumes.map((m) =>
              m.type === 'bind' ? m : { ...m, source: objectName(id, m.source) },
            ),
          }),
    };
    const checked = containerConfigIssues(rewritten);
    for (const found of checked.issues)
      issues.push({ ...found, path: [...path, 'config', ...found.path] });
    if (checked.config) {
      planned.push({
        name,
        config: checked.config,
        dependsOn: [...dependsOn],
        readyTimeoutMs: service.readyTimeoutMs ?? 30_000,
      });
    }
  }
  const order = issues.length === 0 ? dependencyOrder(planned, issue) : [];
  if (issues.length > 0) {
    throw new ConfigurationError(
      `Invalid session ${JSON.stringify(id)} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues
        .map((i) => `  - ${i.path.join('.')}: ${i.message}`)
        .join('\n')}`,
      issues,
    );
  }
  return {
    id,
    tenantId: spec.tenantId,
    services: planned,
    order,
    volumes: volumes.map(([short, v]) => ({
      short,
      name: objectName(id, short),
      labels: { ...v.labels },
    })),
    networks: networks.map(([short, n]) => ({
      short,
      name: objectName(id, short),
      internal: n.internal ?? true,
      labels: { ...n.labels },
    })),
    ttlMs: spec.ttlMs,
    idleMs: spec.idleMs,
  };
}

/** Kahn's algorithm; a cycle is reported with the services on it. */
function dependencyOrder(
  services: PlannedService[],
  issue: (path: (string | number)[], message: string) => void,
): string[] {
  const waiting = new Map(services.map((s) => [s.name, new Set(s.dependsOn)]));
  const order: string[] = [];
  while (waiting.size > 0) {
    const ready = [...waiting].filter(([, deps]) => deps.size === 0).map(([name]) => name);
    if (ready.length === 0) {
      issue(['services'], `dependency cycle among: ${[...waiting.keys()].join(', ')}`);
      return [];
    }
    for (const name of ready) {
      waiting.delete(name);
      order.push(name);
      for (const deps of waiting.values()) deps.delete(name);
    }
  }
  return order;
}
