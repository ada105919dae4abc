import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isRetryableError, NetworkError, ResourceLimitError } from '@berth/core';
import { expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, IMAGE, sessionId, shell, useSession } from '../support/engine.js';

describeEngine('engine errors, aborts and crash cleanup', () => {
  const { driver, session } = useSession('errors');

  it('maps an unreachable socket to a retryable NetworkError', async () => {
    const dead = new DockerDriver({ socketPath: '/tmp/berth-no-engine-here.sock' });
    const error = await dead.getContainer('anything').catch((e) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(isRetryableError(error)).toBe(true);
    await expect(dead.capabilities()).rejects.toBeInstanceOf(NetworkError);
    await expect(dead.createContainer(shell(session, 'true'))).rejects.toBeInstanceOf(NetworkError);
    const health = await dead.healthCheck();
    expect(health.status).toBe('unhealthy');
    expect(health.error).toMatch(/ENOENT|unreachable/);
  });

  it('more CPU than the host has is a ResourceLimitError, and nothing is created', async () => {
    const cores = (await docker.info()).NCPU as number;
    const error = await driver
      .createContainer({ ...shell(session, 'true'), resources: { cpu: cores + 1 } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect(error).toMatchObject({ resource: 'cpu', limit: cores, requested: cores + 1 });
    expect(await driver.listContainers({ sessionId: session })).toEqual([]);
  });

  it('cancels a pending wait when its signal aborts', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const controller = new AbortController();
    const pending = driver.waitContainer(id, { signal: controller.signal });
    // Let the request reach the engine, where a wait on a sleeping container blocks.
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    const error = await pending.catch((e) => e);
    expect(error?.name).toBe('AbortError');
    expect((await driver.getContainer(id))?.status).toBe('running');
    await driver.stopContainer(id, { force: true });
  });

  it('does nothing for an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = (await docker.listContainers({ all: true })).length;
    await expect(
      driver.createContainer(shell(session, 'true'), { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect((await docker.listContainers({ all: true })).length).toBe(before);
  });

  it('cleans up everything of a session whose process was SIGKILLed half-way', async () => {
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    if (!existsSync(dist)) throw new Error(`build the package first: ${dist} is missing`);
    const crashed = sessionId('crash');
    // A separate process builds a session (network, volume, then containers one by one) and
    // is killed while still at it: nothing of it runs any cleanup of its own.
    const script = `
      const { DockerDriver } = await import(${JSON.stringify(dist)});
      const driver = new DockerDriver();
      const sessionId = ${JSON.stringify(crashed)};
      const net = await driver.createNetwork({ name: sessionId + '-net', sessionId });
      await driver.createVolume({ name: sessionId + '-vol', sessionId });
      for (let i = 0; ; i++) {
        const c = await driver.createContainer({
          sessionId, image: ${JSON.stringify(IMAGE)}, command: ['sleep', '300'], network: net.name,
          volumes: [{ type: 'volume', source: sessionId + '-vol', target: '/data' }],
        });
        await driver.startContainer(c.id);
        console.log('started ' + (i + 1));
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('started 3')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const label = { label: [`berth.session=${crashed}`] };
    const left = await docker.listContainers({ all: true, filters: label });
    expect(left.length).toBeGreaterThanOrEqual(3);

    const fresh = new DockerDriver();
    const result = await fresh.cleanup({ sessionId: crashed });
    expect(result).toEqual({ containers: left.length, networks: 1, volumes: 1 });
    expect(await docker.listContainers({ all: true, filters: label })).toEqual([]);
    expect(await docker.listNetworks({ filters: label })).toEqual([]);
    expect((await docker.listVolumes({ filters: label })).Volumes ?? []).toEqual([]);
    // Idempotent: a second cleanup finds nothing left.
    expect(await fresh.cleanup({ sessionId: crashed })).toEqual({
      containers: 0,
      networks: 0,
      volumes: 0,
    });
  });
});
