import { SessionEvents, SessionManager } from '@berth/session';
import { expect, it } from 'vitest';
import { containersLabelled } from './support/host.js';
import { clusters, describeSwarm, IMAGE, useSession } from './support/swarm.js';

describeSwarm('A session spanning both nodes of a swarm', 'twoNode', () => {
  const { driver } = useSession('twoNode', 'session');

  it('starts its services in dependency order on the nodes the driver picks, and ends with nothing left', async () => {
    if (!clusters) throw new Error('no clusters');
    const { manager } = clusters.twoNode;
    const worker = clusters.twoNode.workers[0];
    if (!worker) throw new Error('the two-node swarm has no worker');
    const events = new SessionEvents();
    const order: string[] = [];
    events.on('container:started', (e) => order.push(`started ${e.service}`));
    events.on('container:ready', (e) => order.push(`ready ${e.service}`));
    // Each service placed where the node view says there is most room, then the other node.
    const first = await driver.pickNode({ cpu: 0.5, memory: 64 });
    if (!first) throw new Error('no node has room');
    const pin = (id: string) => ({ constraints: [{ key: 'node.id', value: id }] });
    const other = first.id === worker.nodeId ? manager.nodeId : worker.nodeId;
    const sessions = new SessionManager(driver, { events });
    const session = await sessions.start({
      networks: { backend: {} },
      services: {
        db: {
          config: {
            image: IMAGE,
            command: ['sh', '-c', 'while true; do echo ok | nc -l -p 5432; done'],
            network: 'backend',
            placement: pin(first.id),
            healthcheck: { command: ['true'], intervalMs: 200, retries: 1 },
          },
        },
        api: {
          config: {
            image: IMAGE,
            command: ['sh', '-c', 'sleep 300'],
            network: 'backend',
            placement: pin(other),
          },
          dependsOn: ['db'],
        },
      },
    });
    expect(order.indexOf('ready db'), order.join(', ')).toBeLessThan(order.indexOf('started api'));
    const [db, api] = await Promise.all(
      ['db', 'api'].map((name) => driver.getContainer(session.services[name] ?? '')),
    );
    expect(new Set([db?.node?.id, api?.node?.id])).toEqual(
      new Set([manager.nodeId, worker.nodeId]),
    );
    const talk = await driver.exec(api?.id ?? '', [
      'sh',
      '-c',
      `nc -w 2 ${db?.name} 5432 </dev/null`,
    ]);
    expect(talk.stdout, talk.stderr).toContain('ok');

    await session.end();
    expect(await driver.listContainers({ sessionId: session.id })).toEqual([]);
    expect(await driver.listNetworks()).not.toContainEqual(
      expect.objectContaining({ sessionId: session.id }),
    );
    const label = `berth.session=${session.id}`;
    expect([
      ...(await containersLabelled(manager.socketPath, label)),
      ...(await containersLabelled(worker.socketPath, label)),
    ]).toEqual([]);
  });
});
