import type {
  ContainerInstance,
  ContainerState,
  ContainerStatus,
  HealthStatus,
  PublishedPort,
} from '@berth/core';
import type Dockerode from 'dockerode';
import { DRIVER_NAME } from '../identity.js';
import { LABEL, readUnenforced } from './labels.js';

/** A container as the engine lists it (`/containers/json`): only what the driver reads. */
export interface EngineContainerSummary {
  Id: string;
  State: string;
}

const MB = 1024 * 1024;
// The engine's "never happened" time.
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Engine state → contract status. The engine cannot tell a stopped container from one that exited. */
export function mapStatus(engineStatus: string): ContainerStatus {
  switch (engineStatus) {
    case 'created':
    case 'running':
    case 'paused':
    case 'removing':
    case 'exited':
    case 'dead':
      return engineStatus;
    case 'restarting':
      return 'running';
    default:
      return 'dead';
  }
}

export function mapState(status: ContainerStatus): ContainerState {
  if (status === 'running' || status === 'paused') return 'running';
  if (status === 'dead') return 'error';
  return 'terminated';
}

function time(value: string | undefined): Date | undefined {
  if (!value || value.startsWith(ZERO_TIME.slice(0, 4))) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function health(state: Dockerode.ContainerInspectInfo['State']): HealthStatus {
  const status = state.Health?.Status;
  if (status === 'starting' || status === 'healthy' || status === 'unhealthy') return status;
  return 'none';
}

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null> | null | undefined;

/** Published ports: bound ones once running, the fixed ones asked for before that. */
export function publishedPorts(actual: PortMap, requested: PortMap): PublishedPort[] {
  const ports: PublishedPort[] = [];
  const source = actual && Object.keys(actual).length > 0 ? actual : requested;
  for (const [key, bindings] of Object.entries(source ?? {})) {
    const [port, protocol] = key.split('/');
    for (const binding of bindings ?? []) {
      const host = Number(binding.HostPort);
      if (!host) continue;
      ports.push({
        container: Number(port),
        host,
        hostIp: binding.HostIp || '0.0.0.0',
        protocol: protocol === 'udp' ? 'udp' : 'tcp',
      });
    }
  }
  return ports;
}

function endpointOf(ports: PublishedPort[]): string | null {
  const first = ports[0];
  if (!first) return null;
  // A port published on every interface is reached from this host through loopback.
  const ip = first.hostIp === '0.0.0.0' || first.hostIp === '' ? '127.0.0.1' : first.hostIp;
  return ip.includes(':') ? `[${ip}]:${first.host}` : `${ip}:${first.host}`;
}

/** An engine inspect reply → the contract's view, everything read back from the engine. */
export function toInstance(info: Dockerode.ContainerInspectInfo): ContainerInstance {
  const labels = info.Config.Labels ?? {};
  const host = info.HostConfig;
  const status = mapStatus(info.State.Status);
  const ports = publishedPorts(
    info.NetworkSettings?.Ports as PortMap,
    host.PortBindings as PortMap,
  );
  const disk = host.StorageOpt?.size;
  const instance: ContainerInstance = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    sessionId: labels[LABEL.session] ?? '',
    image: info.Config.Image,
    status,
    state: mapState(status),
    endpoint: status === 'running' ? endpointOf(ports) : null,
    ports,
    createdAt: new Date(info.Created),
    labels,
    resources: {
      cpu: (host.NanoCpus ?? 0) / 1e9,
      memory: (host.Memory ?? 0) / MB,
      pids: host.PidsLimit ?? 0,
      ...(disk ? { disk: Number.parseInt(disk, 10) } : {}),
    },
    driver: DRIVER_NAME,
    health: health(info.State),
  };
  const tenant = labels[LABEL.tenant];
  if (tenant !== undefined) instance.tenantId = tenant;
  const startedAt = time(info.State.StartedAt);
  if (startedAt) instance.startedAt = startedAt;
  const finishedAt = time(info.State.FinishedAt);
  if (finishedAt && status !== 'running' && status !== 'paused') instance.finishedAt = finishedAt;
  if (status === 'exited' || status === 'dead') instance.exitCode = info.State.ExitCode;
  const unenforced = readUnenforced(labels);
  if (unenforced) instance.unenforced = unenforced;
  return instance;
}
