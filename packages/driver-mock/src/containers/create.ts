import {
  ConflictError,
  type ContainerConfig,
  type ContainerInstance,
  NetworkNotFoundError,
  type PublishedPort,
  ResourceLimitError,
} from '@berth/core';
import { berthLabels, type CreateContext } from '@berth/core/kit';
import { copy, MOCK_VERSION, type MockState } from '../engine/mock-state.js';
import { planFor } from '../programs/program.js';
import { addVolume } from '../volumes-networks/volumes.js';

/** Host ports for the config: asked-for ones must be free, 0 or none takes the next free one. */
function allocatePorts(state: MockState, config: ContainerConfig): PublishedPort[] {
  const taken = new Set<number>();
  for (const other of state.containers.values()) {
    for (const port of other.instance.ports) taken.add(port.host);
  }
  return config.ports.map((port) => {
    let host = port.host ?? 0;
    if (host === 0) {
      while (taken.has(state.nextPort)) state.nextPort++;
      host = state.nextPort++;
    } else if (taken.has(host)) {
      throw new ConflictError(`Bind for ${port.hostIp}:${host} failed: port is already allocated`);
    }
    taken.add(host);
    return { container: port.container, host, hostIp: port.hostIp, protocol: port.protocol };
  });
}

/** `config` is checked and `ctx` carries the labels and enforcement the kit decided. */
export function createContainer(
  state: MockState,
  config: ContainerConfig,
  ctx: CreateContext,
): ContainerInstance {
  const { settings, name: driver } = state;
  const { profile } = settings;
  if (config.resources.cpu > profile.maxCpu) {
    throw new ResourceLimitError('cpu', profile.maxCpu, config.resources.cpu);
  }
  const unenforced = [...ctx.unenforced];
  const id = profile.newId((n) => settings.idRandom.hex(n));
  const name = config.name ?? profile.defaultName(id);
  const holder = state.byName(name);
  if (holder) throw new ConflictError(profile.nameConflictMessage(name, holder.instance.id));
  if (config.network !== undefined && !state.network(config.network)) {
    throw new NetworkNotFoundError(config.network);
  }
  const missing = config.volumes.filter((v) => v.type === 'volume' && !state.volumes.has(v.source));
  // Ports before volumes: a port conflict must leave no volume behind.
  const ports = allocatePorts(state, config);
  const volumeLabels = berthLabels(
    {},
    {},
    {
      driver,
      driverVersion: MOCK_VERSION,
      sessionId: config.sessionId,
      tenantId: config.tenantId,
      token: ctx.token,
    },
  );
  for (const mount of missing) {
    addVolume(state, mount.source, config.sessionId, config.tenantId, volumeLabels);
  }
  const labels: Record<string, string> = { ...ctx.labels };
  const first = ports[0];
  const instance: ContainerInstance = {
    id,
    name,
    sessionId: config.sessionId,
    ...(config.tenantId ? { tenantId: config.tenantId } : {}),
    image: config.image,
    status: 'created',
    state: 'terminated',
    endpoint: first ? `${first.hostIp}:${first.host}` : null,
    ports,
    createdAt: state.now(),
    labels,
    resources: config.resources,
    driver,
    ...(unenforced.length > 0 ? { unenforced } : {}),
  };
  state.containers.set(id, {
    instance,
    config,
    plan: planFor(config, settings.programs),
    logs: [],
    logBase: 0,
    watchers: new Set(),
    healthProbe: 0,
    failedProbes: 0,
    oomKilled: false,
  });
  return copy(instance);
}
