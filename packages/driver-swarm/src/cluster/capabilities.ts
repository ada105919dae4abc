import { DriverError } from '@berth/core';
import type { PrimitiveCapabilities } from '@berth/core/kit';
import type { ManagerApi } from './manager.js';

interface ManagerInfo {
  MemoryLimit?: boolean;
  CpuCfsQuota?: boolean;
  PidsLimit?: boolean;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
}

/** `a.b` API versions compared as numbers (1.41 > 1.9). */
export function apiAtLeast(version: string, wanted: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [wantMajor = 0, wantMinor = 0] = wanted.split('.').map(Number);
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

/** Since when services carry each setting (the Engine API's version history). */
export const SERVICE_API = { pids: '1.41', capabilities: '1.41' } as const;

export interface SwarmFacts {
  apiVersion: string;
  caps: PrimitiveCapabilities;
  reasons: Record<string, string>;
}

/**
 * What services on this swarm can express, read once from the manager: its API version and
 * kernel features. Not a swarm manager: a DriverError that says how to make one.
 */
export async function readSwarmFacts(
  manager: ManagerApi,
  signal: AbortSignal | undefined,
): Promise<SwarmFacts> {
  const [info, version] = await Promise.all([
    manager.info<ManagerInfo>(signal),
    manager.session.call<{ ApiVersion: string; Version: string }>(
      { method: 'GET', path: '/version', signal },
      { kind: 'engine' },
    ),
  ]);
  if (info.Swarm?.LocalNodeState !== 'active' || info.Swarm.ControlAvailable !== true) {
    throw new DriverError(
      `The engine the swarm driver talks to is not a swarm manager (swarm ${info.Swarm?.LocalNodeState ?? 'inactive'}${info.Swarm?.LocalNodeState === 'active' ? ', a worker' : ''}): give a manager's endpoint in \`manager\`, or make this engine one with \`docker swarm init\``,
      'ENGINE_ERROR',
    );
  }
  const api = version.ApiVersion;
  const pidsAndCaps = apiAtLeast(api, SERVICE_API.pids);
  const reasons: Record<string, string> = {
    noNewPrivileges: `Swarm services on Engine API ${api} have no no-new-privileges setting (a task's container is made by its node from the service's spec, which cannot ask for it)`,
    ports:
      "Swarm publishes a service's ports on every interface of every node (ingress) or of its node (host mode), never on loopback only: reach a container from another one over an overlay network",
    disk: "Swarm services cannot limit a container's writable layer",
  };
  if (!pidsAndCaps) {
    reasons.pids = `Swarm services take a pids limit from Engine API ${SERVICE_API.pids} on; this manager speaks ${api}`;
    reasons.capabilityDrop = `Swarm services take capability drops and adds from Engine API ${SERVICE_API.capabilities} on; this manager speaks ${api}`;
  }
  if (info.MemoryLimit === false) reasons.memory = "the manager's kernel has no memory cgroup";
  if (info.CpuCfsQuota === false) reasons.cpu = "the manager's kernel has no CFS quota";
  const caps: PrimitiveCapabilities = {
    cpu: info.CpuCfsQuota !== false,
    memory: info.MemoryLimit !== false,
    pids: pidsAndCaps && info.PidsLimit !== false,
    disk: false,
    readOnlyRootfs: true,
    noNewPrivileges: false,
    user: true,
    capabilityDrop: pidsAndCaps,
    networks: 'isolated',
    volumes: true,
    volumeSize: false,
    ports: false,
    exec: true,
    stats: true,
    logsFollow: true,
    healthchecks: true,
    placement: true,
    restarts: true,
    lifetimes: false,
  };
  reasons.lifetimes = 'the swarm driver does not run a lifetime keeper yet';
  reasons.volumeSize = "the nodes' local volume driver cannot limit a volume's size";
  return { apiVersion: api, caps, reasons };
}
