import type { UnsupportedFeature } from './errors/index.js';
import type { BerthEvents } from './events.js';
import type { DriverMiddleware, OperationCall } from './middleware.js';
import type { DriverOperation, OperationResult } from './operations.js';
import type { ContainerInstance, Network, Volume, WaitResult } from './types.js';

/**
 * Emits the typed events for a driver, after each operation succeeds and only then, so a
 * third-party driver gets events without writing any. Health and death are observed: a
 * `container:healthy`/`unhealthy` fires when `isContainerHealthy` sees the value change, and
 * `container:died` when a container known to be running is seen to have ended without being
 * stopped.
 */
export function withEvents(events: BerthEvents): DriverMiddleware {
  const lastHealth = new Map<string, boolean>();
  // Containers known to be running; leaving this set other than through stop/remove is a death.
  const running = new Set<string>();

  const died = (driver: string, containerId: string, result: WaitResult) => {
    if (!running.delete(containerId)) return;
    events.emit('container:died', { driver, at: new Date(), containerId, ...result });
  };

  const observe = (driver: string, instance: ContainerInstance | null) => {
    if (!instance) return;
    if (instance.status === 'running') running.add(instance.id);
    else if (instance.status === 'exited' || instance.status === 'dead') {
      died(driver, instance.id, { exitCode: instance.exitCode ?? -1, oomKilled: false });
    }
  };

  // Best-effort made it without something it asked for: said once, where it was made.
  const warnUnenforced = (
    driver: string,
    at: Date,
    what: string,
    unenforced: UnsupportedFeature[] | undefined,
  ) => {
    if (!unenforced || unenforced.length === 0) return;
    events.emit('driver:warning', {
      driver,
      at,
      unenforced,
      message: `${what} was made without: ${unenforced.map((f) => f.feature).join(', ')} (best-effort enforcement)`,
    });
  };

  const middleware = async <Op extends DriverOperation>(
    call: OperationCall<Op>,
    next: (args?: OperationCall<Op>['args']) => Promise<OperationResult<Op>>,
  ): Promise<OperationResult<Op>> => {
    const result = await next();
    const driver = call.driver.name;
    const at = new Date();
    const id = call.args[0] as string;
    switch (call.operation) {
      case 'createContainer': {
        const container = result as ContainerInstance;
        events.emit('container:created', { driver, at, container });
        if (container.unenforced && container.unenforced.length > 0) {
          events.emit('driver:warning', {
            driver,
            at,
            containerId: container.id,
            unenforced: container.unenforced,
            message: `Container ${container.id} runs without: ${container.unenforced
              .map((f) => f.feature)
              .join(', ')} (best-effort enforcement)`,
          });
        }
        break;
      }
      case 'startContainer':
        running.add(id);
        events.emit('container:started', { driver, at, containerId: id });
        break;
      case 'stopContainer':
        running.delete(id);
        events.emit('container:stopped', { driver, at, containerId: id });
        break;
      case 'restartContainer':
        running.add(id);
        events.emit('container:restarted', { driver, at, containerId: id });
        break;
      case 'removeContainer':
        lastHealth.delete(id);
        running.delete(id);
        events.emit('container:removed', { driver, at, containerId: id });
        break;
      case 'waitContainer':
        died(driver, id, result as WaitResult);
        break;
      case 'getContainer':
        observe(driver, result as ContainerInstance | null);
        break;
      case 'listContainers':
        for (const instance of result as ContainerInstance[]) observe(driver, instance);
        break;
      case 'isContainerHealthy': {
        const healthy = result as boolean;
        if (lastHealth.get(id) !== healthy) {
          lastHealth.set(id, healthy);
          events.emit(healthy ? 'container:healthy' : 'container:unhealthy', {
            driver,
            at,
            containerId: id,
          });
        }
        break;
      }
      case 'createVolume': {
        const volume = result as Volume;
        events.emit('volume:created', { driver, at, volume });
        warnUnenforced(driver, at, `Volume ${volume.name}`, volume.unenforced);
        break;
      }
      case 'removeVolume':
        events.emit('volume:removed', { driver, at, volumeId: id });
        break;
      case 'createNetwork': {
        const network = result as Network;
        events.emit('network:created', { driver, at, network });
        warnUnenforced(driver, at, `Network ${network.name}`, network.unenforced);
        break;
      }
      case 'removeNetwork':
        events.emit('network:removed', { driver, at, networkId: id });
        break;
      default:
        break;
    }
    return result;
  };
  return middleware as DriverMiddleware;
}
