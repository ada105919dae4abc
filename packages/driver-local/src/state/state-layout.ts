import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const CONTAINER_ID = /^[0-9a-f]{32}$/;

/** Whether a name is a container id (and so a container's directory), never a user's name. */
export function isContainerId(name: string): boolean {
  return CONTAINER_ID.test(name);
}

/** Where everything lives under the state directory. */
export class StateLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  get containers(): string {
    return join(this.root, 'containers');
  }
  get volumes(): string {
    return join(this.root, 'volumes');
  }
  get networks(): string {
    return join(this.root, 'networks');
  }
  /** Removed containers' directories, renamed here to vanish at once and deleted afterwards. */
  get trash(): string {
    return join(this.root, 'trash');
  }
  /** Claims on chosen container names, one file per name. */
  get names(): string {
    return join(this.root, 'names');
  }
  /** Ready-made container directories (see spare-dirs.ts). */
  get spares(): string {
    return join(this.root, 'spares');
  }
  /** Warm sandboxes' container directories, by the driver that made them (warm-sandboxes.ts). */
  get warm(): string {
    return join(this.root, 'warm');
  }
  /** Lifetime records: extensions and last use, per container (FileLifetimeStore). */
  get lifetimes(): string {
    return join(this.root, 'lifetimes');
  }
  /** The lifetime keeper's lock and log. */
  get keeper(): string {
    return join(this.root, 'keeper');
  }
  get supervisorLog(): string {
    return join(this.root, 'supervisor.log');
  }
  containerDir(id: string): string {
    return join(this.containers, id);
  }
  containerFile(id: string): string {
    return join(this.containerDir(id), 'container.json');
  }
  runFile(id: string): string {
    return join(this.containerDir(id), 'run.json');
  }
  exitFile(id: string): string {
    return join(this.containerDir(id), 'exit.json');
  }
  stopFile(id: string): string {
    return join(this.containerDir(id), 'stop.json');
  }
  healthFile(id: string): string {
    return join(this.containerDir(id), 'health.json');
  }
  /** Records of the processes spawned in the container (see processes/process-records.ts). */
  processesDir(id: string): string {
    return join(this.containerDir(id), 'processes');
  }
  /** `processId` has been checked to be an object id: no separator, no leading dot. */
  processFile(id: string, processId: string): string {
    return join(this.processesDir(id), `${processId}.json`);
  }
  logFile(id: string, stream: 'stdout' | 'stderr'): string {
    return join(this.containerDir(id), `${stream}.log`);
  }
  workDir(id: string): string {
    return join(this.containerDir(id), 'work');
  }
  volumeDir(name: string): string {
    return join(this.volumes, name);
  }
  volumeFile(name: string): string {
    return join(this.volumeDir(name), 'volume.json');
  }
  volumeData(name: string): string {
    return join(this.volumeDir(name), 'data');
  }
  networkFile(id: string): string {
    return join(this.networks, `${id}.json`);
  }

  async ensure(): Promise<void> {
    // 0711: other users (the container's own user among them) may pass through to their
    // working directory but cannot list or read anyone's state.
    for (const dir of [this.root, this.containers, this.volumes, this.networks, this.trash]) {
      await mkdir(dir, { recursive: true, mode: 0o711 });
    }
  }
}
