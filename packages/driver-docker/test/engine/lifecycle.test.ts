import {
  CONTRACT_VERSION,
  ConfigurationError,
  ConflictError,
  ContainerNotFoundError,
  ContainerRemoveError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { DockerDriver } from '../../src/index.js';
import { describeEngine, docker, IMAGE, shell, useSession } from '../support/engine.js';

describeEngine('DockerDriver lifecycle on a real engine', () => {
  const { driver, session } = useSession('lifecycle');

  it('names itself and the contract it implements', () => {
    expect(driver.name).toBe('docker');
    expect(driver.contractVersion).toBe(CONTRACT_VERSION);
    expect(driver.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('creates, starts, stops and removes, with statuses read from the engine', async () => {
    const created = await driver.createContainer(shell(session, 'sleep 300'));
    expect(created).toMatchObject({
      sessionId: session,
      image: IMAGE,
      status: 'created',
      state: 'terminated',
      driver: 'docker',
      endpoint: null,
    });
    expect((await docker.getContainer(created.id).inspect()).State.Status).toBe('created');

    await driver.startContainer(created.id);
    const running = await driver.getContainer(created.id);
    expect(running).toMatchObject({ status: 'running', state: 'running' });
    expect(running?.startedAt).toBeInstanceOf(Date);

    await driver.stopContainer(created.id, { timeout: 1 });
    // The engine cannot tell a stop from an exit, so a stopped container reads as exited.
    const stopped = await driver.getContainer(created.id);
    expect(stopped).toMatchObject({ status: 'exited', state: 'terminated' });
    expect(stopped?.finishedAt).toBeInstanceOf(Date);

    await driver.removeContainer(created.id);
    expect(await driver.getContainer(created.id)).toBeNull();
    await expect(docker.getContainer(created.id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('treats start of a running and stop of a stopped container as no-ops', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    await driver.startContainer(id);
    expect((await driver.getContainer(id))?.status).toBe('running');
    await driver.stopContainer(id, { force: true });
    await driver.stopContainer(id);
    await driver.stopContainer(id, { force: true });
    expect((await driver.getContainer(id))?.status).toBe('exited');
    await driver.removeContainer(id);
  });

  it('refuses to remove a running container unless forced', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    await expect(driver.removeContainer(id)).rejects.toBeInstanceOf(ContainerRemoveError);
    expect((await driver.getContainer(id))?.status).toBe('running');
    await driver.removeContainer(id, { force: true });
    expect(await driver.getContainer(id)).toBeNull();
  });

  it('reports the exit code of a container that ended by itself', async () => {
    const { id } = await driver.createContainer(shell(session, 'exit 7'));
    await driver.startContainer(id);
    expect(await driver.waitContainer(id)).toEqual({ exitCode: 7, oomKilled: false });
    expect(await driver.getContainer(id)).toMatchObject({ status: 'exited', exitCode: 7 });
  });

  it('restarts a container', async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const first = (await driver.getContainer(id))?.startedAt;
    await driver.restartContainer(id, { timeout: 0 });
    const after = await driver.getContainer(id);
    expect(after?.status).toBe('running');
    expect(after?.startedAt?.getTime()).toBeGreaterThan(first?.getTime() ?? 0);
  });

  it('throws ContainerNotFoundError for every operation on an unknown id, null for getContainer', async () => {
    const unknown = 'berth-no-such-container-0123456789';
    expect(await driver.getContainer(unknown)).toBeNull();
    const calls: Promise<unknown>[] = [
      driver.startContainer(unknown),
      driver.stopContainer(unknown),
      driver.restartContainer(unknown),
      driver.removeContainer(unknown),
      driver.getContainerLogs(unknown),
      driver.waitContainer(unknown),
      driver.exec(unknown, ['true']),
      driver.getContainerStats(unknown),
      driver.isContainerHealthy(unknown),
      (async () => {
        for await (const _ of driver.streamLogs(unknown)) break;
      })(),
    ];
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => r.status)).toEqual(calls.map(() => 'rejected'));
    for (const result of results) {
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ContainerNotFoundError);
    }
  });

  it('does not see or touch containers it did not make', async () => {
    const foreign = await docker.createContainer({ Image: IMAGE, Cmd: ['true'] });
    try {
      expect(await driver.getContainer(foreign.id)).toBeNull();
      await expect(driver.removeContainer(foreign.id, { force: true })).rejects.toBeInstanceOf(
        ContainerNotFoundError,
      );
      expect((await foreign.inspect()).State.Status).toBe('created');
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it('never acts on a foreign container that took the name of one it knew', async () => {
    const name = `berth-test-renamed-${Date.now()}`;
    const mine = await driver.createContainer(shell(session, 'sleep 300', { name }));
    await driver.startContainer(name);
    await driver.getContainer(name);
    // Removed behind Berth's back, and a container of someone else's made under its name.
    await docker.getContainer(mine.id).remove({ force: true });
    const foreign = await docker.createContainer({ name, Image: IMAGE, Cmd: ['sleep', '300'] });
    await foreign.start();
    try {
      for (const call of [
        () => driver.stopContainer(name, { force: true }),
        () => driver.pauseContainer(name),
        () => driver.removeContainer(name, { force: true }),
      ]) {
        await expect(call()).rejects.toBeInstanceOf(ContainerNotFoundError);
      }
      expect((await foreign.inspect()).State.Status).toBe('running');
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it('maps a name conflict to ConflictError', async () => {
    const name = `${session}-named`;
    const first = await driver.createContainer(shell(session, 'true', { name }));
    expect(first.name).toBe(name);
    const error = await driver.createContainer(shell(session, 'true', { name })).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.retryable).toBe(false);
  });

  it('creates nothing from an invalid config and lists every problem', async () => {
    const before = await docker.listContainers({ all: true });
    const error = await driver
      .createContainer({
        sessionId: session,
        image: IMAGE,
        resources: { cpu: -1, memory: 1, pids: 0 },
        labels: { 'berth.session': 'spoof' },
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.issues.map((i: { path: unknown[] }) => i.path.join('.'))).toEqual(
      expect.arrayContaining([
        'resources.cpu',
        'resources.memory',
        'resources.pids',
        'labels.berth.session',
      ]),
    );
    expect((await docker.listContainers({ all: true })).length).toBe(before.length);
  });

  it('lists by session, status, state and label', async () => {
    const listSession = `${session}-list`;
    const a = await driver.createContainer(
      shell(listSession, 'sleep 300', { labels: { role: 'a' } }),
    );
    const b = await driver.createContainer(shell(listSession, 'true', { labels: { role: 'b' } }));
    await driver.startContainer(a.id);
    const ids = (list: { id: string }[]) => list.map((c) => c.id).sort();
    try {
      expect(ids(await driver.listContainers({ sessionId: listSession }))).toEqual(
        [a.id, b.id].sort(),
      );
      expect(
        ids(await driver.listContainers({ sessionId: listSession, status: 'running' })),
      ).toEqual([a.id]);
      expect(
        ids(await driver.listContainers({ sessionId: listSession, state: 'terminated' })),
      ).toEqual([b.id]);
      expect(
        ids(await driver.listContainers({ sessionId: listSession, label: { role: 'b' } })),
      ).toEqual([b.id]);
      expect(
        ids(await driver.listContainers({ sessionId: listSession, label: { role: true } })),
      ).toEqual([a.id, b.id].sort());
    } finally {
      await driver.cleanup({ sessionId: listSession });
    }
    expect(await driver.listContainers({ sessionId: listSession })).toEqual([]);
  });

  it('lets a fresh instance list and control what an earlier one made', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'sleep 300', {
        tenantId: 'tenant-a',
        resources: { cpu: 0.25, memory: 64, pids: 20 },
      }),
    );
    await driver.startContainer(id);
    const fresh = new DockerDriver();
    const seen = await fresh.listContainers({ sessionId: session, tenantId: 'tenant-a' });
    expect(seen.map((c) => c.id)).toEqual([id]);
    expect(seen[0]).toMatchObject({
      sessionId: session,
      tenantId: 'tenant-a',
      status: 'running',
      resources: { cpu: 0.25, memory: 64, pids: 20 },
    });
    expect(seen[0]?.labels['berth.driver-version']).toBe(driver.version);
    await fresh.stopContainer(id, { force: true });
    expect((await driver.getContainer(id))?.status).toBe('exited');
    await fresh.removeContainer(id);
    expect(await driver.getContainer(id)).toBeNull();
  });

  it('reports engine health and its own containers', async () => {
    const health = await driver.healthCheck();
    expect(health.status).toBe('healthy');
    expect(health.version).toMatch(/\d+\.\d+/);
    expect(health.containers.total).toBeGreaterThanOrEqual(health.containers.running);
  });
});

describe('DockerDriver construction', () => {
  it('rejects reserved default labels and unknown enforcement modes', () => {
    expect(() => new DockerDriver({ labels: { 'berth.session': 'x' } })).toThrow(
      ConfigurationError,
    );
    expect(() => new DockerDriver({ enforcement: 'lax' as 'strict' })).toThrow(ConfigurationError);
  });
});
