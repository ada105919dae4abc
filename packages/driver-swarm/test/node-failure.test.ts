import { BerthEvents, type ContainerInstance, withEvents, wrapDriver } from '@berth/core';
import { afterAll, expect, it } from 'vitest';
import { containersLabelled, swarmScript } from './support/host.js';
import { clusters, describeSwarm, eventually, shell, useSession } from './support/swarm.js';

describeSwarm('Swarm driver when a worker goes away', 'twoNode', () => {
  const { driver, session } = useSession('twoNode', 'failure');
  // Whatever happened in the test, the worker is back for the next file.
  afterAll(async () => {
    await swarmScript('worker-start');
  });

  it('its container is dead within 30 s, container:died fires, and cleanup leaves nothing on either node once it is back', async () => {
    if (!clusters) throw new Error('no clusters');
    const { manager } = clusters.twoNode;
    const worker = clusters.twoNode.workers[0];
    if (!worker) throw new Error('the two-node swarm has no worker');
    const events = new BerthEvents();
    const died: string[] = [];
    events.on('container:died', (e) => died.push(e.containerId));
    const watched = wrapDriver(driver, withEvents(events));

    const start = async (role: string): Promise<ContainerInstance> => {
      const c = await watched.createContainer(
        shell(session, 'sleep 300', {
          placement: { constraints: [{ key: 'node.role', value: role }] },
        }),
      );
      await watched.startContainer(c.id);
      const seen = await watched.getContainer(c.id);
      if (seen?.status !== 'running') throw new Error(`not running: ${JSON.stringify(seen)}`);
      return seen;
    };
    const lost = await start('worker');
    const kept = await start('manager');
    expect(lost.node?.id).toBe(worker.nodeId);
    // One that asks for restarts, on the worker too: the swarm moves it to the manager.
    const spread = shell(session, 'sleep 300', {
      restart: { condition: 'always' },
      placement: { spread: ['node.id'] },
    });
    const movable: ContainerInstance[] = [];
    for (let i = 0; i < 4 && !movable.some((c) => c.node?.id === worker.nodeId); i++) {
      const c = await watched.createContainer(spread);
      await watched.startContainer(c.id);
      const seen = await watched.getContainer(c.id);
      if (seen) movable.push(seen);
    }
    const moved = movable.find((c) => c.node?.id === worker.nodeId);
    if (!moved)
      throw new Error(
        `no restartable container landed on the worker: ${JSON.stringify(movable.map((c) => c.node))}`,
      );

    await swarmScript('worker-stop');
    const stoppedAt = Date.now();
    const dead = await eventually(
      'the container on the stopped worker is dead',
      () => watched.getContainer(lost.id),
      (c) => c?.status === 'dead',
      { timeoutMs: 30_000 },
    );
    expect(dead?.state).toBe('error');
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    expect(died, 'container:died fired for it').toContain(lost.id);
    expect((await watched.getContainer(kept.id))?.status, 'the one on the manager runs on').toBe(
      'running',
    );
    await eventually(
      'the swarm has started the restartable one again, on the manager',
      () => watched.getContainer(moved.id),
      (c) => c?.status === 'running' && c.node?.id === manager.nodeId,
      { timeoutMs: 30_000 },
    );
    expect((await driver.listNodes()).find((n) => n.id === worker.nodeId)?.state).toBe('down');
    // Exec on it says where it is and what to do, and is retryable.
    await expect(driver.exec(lost.id, ['true'])).rejects.toMatchObject({ code: 'NETWORK_ERROR' });

    // Cleanup with the worker away removes what it can; once it is back, the rest goes too.
    await driver.cleanup({ sessionId: session });
    expect(await driver.listContainers({ sessionId: session })).toEqual([]);
    await swarmScript('worker-start');
    await driver.cleanup({ sessionId: session });
    const label = `berth.session=${session}`;
    await eventually(
      'no container of the session on either node',
      async () => [
        ...(await containersLabelled(manager.socketPath, label)),
        ...(await containersLabelled(worker.socketPath, label)),
      ],
      (left) => left.length === 0,
    );
  });
});
