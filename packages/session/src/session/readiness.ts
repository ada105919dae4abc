import { type ContainerDriver, ContainerStartError, TimeoutError } from '@berth/core';
import type { SessionClock } from '../clock.js';

export interface ReadinessOptions {
  clock: SessionClock;
  pollMs: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Waits until a started service is ready: its health check passing where it declares one,
 * running otherwise. One that ends first fails at once, rather than at the timeout.
 */
export async function waitUntilReady(
  driver: ContainerDriver,
  service: string,
  containerId: string,
  hasHealthcheck: boolean,
  options: ReadinessOptions,
): Promise<void> {
  const { clock, pollMs, timeoutMs, signal } = options;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const instance = await driver.getContainer(containerId, { signal });
    if (!instance) {
      throw new ContainerStartError(
        containerId,
        `service '${service}' is gone before it was ready`,
      );
    }
    const ended = instance.status === 'exited' || instance.status === 'dead';
    if (ended) {
      throw new ContainerStartError(
        containerId,
        `service '${service}' ended (exit ${instance.exitCode ?? 'unknown'}) before it was ready`,
      );
    }
    if (hasHealthcheck ? instance.health === 'healthy' : instance.status === 'running') return;
    if (clock.now() >= deadline) {
      throw new TimeoutError(`readiness of service '${service}'`, timeoutMs);
    }
    await clock.sleep(Math.min(pollMs, Math.max(1, deadline - clock.now())), signal);
  }
}
