import type { DriverCapabilities } from '@berth/core';

/** What makes one mock behave like one kind of real driver. */
export interface MockProfile {
  name: 'mock-docker' | 'mock-local';
  /** Most CPU cores one container may ask for. */
  maxCpu: number;
  /** Per-operation latency under the `realistic` timing profile. */
  realisticMs: { min: number; max: number };
  /** Status after stopContainer: Docker cannot tell a stop from an exit. */
  stoppedStatus: 'exited' | 'stopped';
  capabilities: DriverCapabilities;
  newId(hex: (length: number) => string): string;
  /** The name a container gets when the config names none. */
  defaultName(id: string): string;
  newNetworkId(hex: (length: number) => string): string;
  runningRemoveMessage(id: string): string;
  nameConflictMessage(name: string, holder: string): string;
  networkConflictMessage(name: string): string;
  notRunningMessage(id: string): string;
}

const enforcesEverything = {
  cpu: true,
  memory: true,
  pids: true,
  disk: true,
  readOnlyRootfs: true,
  noNewPrivileges: true,
  user: true,
  capabilityDrop: true,
  volumes: true,
  ports: true,
  exec: true,
  stats: true,
  logsFollow: true,
  healthchecks: true,
  pause: true,
  signals: true,
  processes: true,
  processAttach: true,
  files: true,
  lifetimes: true,
} as const;

export const dockerProfile: MockProfile = {
  name: 'mock-docker',
  maxCpu: 4,
  realisticMs: { min: 100, max: 200 },
  stoppedStatus: 'exited',
  capabilities: { ...enforcesEverything, networks: 'isolated' },
  newId: (hex) => hex(64),
  defaultName: (id) => `mock-docker-${id.slice(0, 12)}`,
  newNetworkId: (hex) => hex(64),
  runningRemoveMessage: (id) =>
    `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
  nameConflictMessage: (name, holder) =>
    `Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
  networkConflictMessage: (name) => `network with name ${name} already exists`,
  notRunningMessage: (id) => `Container ${id} is not running`,
};

export const localProfile: MockProfile = {
  name: 'mock-local',
  maxCpu: 2,
  realisticMs: { min: 200, max: 300 },
  stoppedStatus: 'stopped',
  capabilities: { ...enforcesEverything, networks: 'logical' },
  newId: (hex) => hex(32),
  defaultName: (id) => `berth-${id.slice(0, 12)}`,
  newNetworkId: (hex) => hex(32),
  runningRemoveMessage: (id) =>
    `Failed to remove container ${id}: it is running; stop it first or remove with { force: true }`,
  nameConflictMessage: (name) => `A container named '${name}' already exists`,
  networkConflictMessage: (name) => `A network named '${name}' already exists`,
  notRunningMessage: (id) => `Container ${id} is not running`,
};
