import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerDriver, ContainerInstance } from '@berth/core';
import { DockerDriver } from '@berth/driver-docker';
import { LocalDriver } from '@berth/driver-local';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthMonitor, Recovery, SERVICE_LABEL } from '../src/index.js';
import { describeEngine, IMAGE, sessionId } from './support/engine.js';

/**
 * Starts `sh -c 'sleep 600'` as the `sleeper` service, watches it, kills it from outside the
 * driver, and checks that the monitor saw it die and recovery really started it again.
 */
async function killedAndRecovered(
  driver: ContainerDriver,
  session: string,
  image: string,
  kill: (container: ContainerInstance) => Promise<void>,
): Promise<void> {
  const container = await driver.createContainer({
    sessionId: session,
    image,
    command: ['sh', '-c', 'sleep 600'],
    labels: { [SERVICE_LABEL]: 'sleeper' },
  });
  await driver.startContainer(container.id);
  const before = await driver.getContainer(container.id);
  const monitor = new HealthMonitor(driver, {
    sessionId: session,
    intervalMs: 200,
    timeoutMs: 10_000,
  });
  const recovery = new Recovery(driver, { events: monitor.events, backoff: { initialMs: 100 } });
  const signal = AbortSignal.timeout(45_000);
  const next = <E extends 'container:healthy' | 'container:died' | 'container:restarted'>(
    event: E,
  ) => monitor.events.waitFor(event, { signal, filter: (e) => e.containerId === container.id });
  try {
    recovery.start();
    const healthy = next('container:healthy');
    monitor.start();
    await healthy;
    const died = next('container:died');
    const restarted = next('container:restarted');
    await kill(container);
    expect(await died).toMatchObject({ service: 'sleeper', sessionId: session, exitCode: 137 });
    const healthyAgain = next('container:healthy');
    expect(await restarted).toMatchObject({ service: 'sleeper', attempt: 1 });
    await healthyAgain;
    const after = await driver.getContainer(container.id);
    expect(after?.status).toBe('running');
    expect(after?.startedAt?.getTime()).toBeGreaterThan(before?.startedAt?.getTime() ?? Infinity);
  } finally {
    await monitor.stop();
    await recovery.stop();
  }
}

describe('on the local driver', () => {
  let stateDir = '';
  let driver: LocalDriver | undefined;
  afterAll(async () => {
    if (driver) {
      await driver.cleanup({ all: true });
      await driver.close();
    }
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('a container whose process is killed is seen dead and started again', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-session-local-'));
    driver = new LocalDriver({ stateDir });
    const local = driver;
    await killedAndRecovered(local, sessionId('local'), 'host', async (container) => {
      // Its main process, as the driver records it: killed behind the driver's back.
      const run = JSON.parse(
        await readFile(join(local.stateDir, 'containers', container.id, 'run.json'), 'utf8'),
      ) as { pid: number };
      process.kill(run.pid, 'SIGKILL');
    });
  });
});

describeEngine('on the Docker driver', () => {
  const session = sessionId('docker');
  const driver = new DockerDriver();
  afterAll(async () => {
    await driver.cleanup({ sessionId: session });
    await driver.close();
  });

  it('a container killed through the engine is seen dead and started again', async () => {
    await killedAndRecovered(driver, session, IMAGE, async (container) => {
      await new Dockerode().getContainer(container.id).kill();
    });
  });
});
