import { type ContainerInstance, type DriverHealth, getErrorMessage } from '@berth/core';
import type { ManagerApi } from './manager.js';

/**
 * The manager's version and this driver's containers' counts: `degraded`, naming them, while
 * a node is not ready; `unhealthy` when the manager does not answer.
 */
export async function swarmHealth(
  manager: ManagerApi,
  containers: () => Promise<ContainerInstance[]>,
  signal: AbortSignal | undefined,
): Promise<DriverHealth> {
  const uptime = () => (Date.now() - manager.session.startedAt) / 1000;
  try {
    const [version, all, nodes] = await Promise.all([
      manager.session.call<{ Version: string }>(
        { method: 'GET', path: '/version', signal },
        { kind: 'engine' },
      ),
      containers(),
      manager.nodes(true),
    ]);
    const running = all.filter((c) => c.status === 'running').length;
    const lost = nodes.filter((n) => n.Status.State !== 'ready');
    const health: DriverHealth = {
      status: lost.length > 0 ? 'degraded' : 'healthy',
      version: version.Version,
      uptime: uptime(),
      containers: { total: all.length, running, stopped: all.length - running },
    };
    if (lost.length > 0) {
      health.error = `nodes not ready: ${lost.map((n) => `${n.Description.Hostname} (${n.Status.State})`).join(', ')}`;
    }
    return health;
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      status: 'unhealthy',
      version: 'unknown',
      uptime: uptime(),
      containers: { total: 0, running: 0, stopped: 0 },
      error: getErrorMessage(error),
    };
  }
}
