import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ContainerInstance } from '@berth/core';
import { afterAll, expect, it } from 'vitest';
import { containersLabelled, engineGet, hostListener } from './support/host.js';
import { clusters, describeSwarm, eventually, shell, useSession } from './support/swarm.js';

/** The docker CLI on the manager's engine, for what the test sets up outside the driver. */
const docker = (args: string[]) => promisify(execFile)('docker', args, { timeout: 30_000 });

const onWorker = { placement: { constraints: [{ key: 'node.role', value: 'worker' }] } };
const onManager = { placement: { constraints: [{ key: 'node.role', value: 'manager' }] } };

/** busybox nc: exits 0 once connected (stdin at its end). */
const connect = (host: string, port: number) => [
  'sh',
  '-c',
  'nc -w 2 "$0" "$1" </dev/null',
  host,
  String(port),
];

describeSwarm('Swarm driver on a two-node swarm', 'twoNode', () => {
  const { driver, session } = useSession('twoNode', 'multi');
  const cluster = () => {
    if (!clusters) throw new Error('no clusters');
    const worker = clusters.twoNode.workers[0];
    if (!worker) throw new Error('the two-node swarm has no worker');
    return { manager: clusters.twoNode.manager, worker };
  };

  async function started(config: Record<string, unknown>): Promise<ContainerInstance> {
    const made = await driver.createContainer(config as never);
    await driver.startContainer(made.id);
    const seen = await driver.getContainer(made.id);
    if (!seen) throw new Error(`container ${made.id} is gone`);
    return seen;
  }

  it('spreads containers over both nodes under a spread preference, each on the node it reports', async () => {
    const { manager, worker } = cluster();
    const config = shell(session, 'sleep 120', { placement: { spread: ['node.id'] } });
    const made = await Promise.all([1, 2, 3, 4].map(() => driver.createContainer(config)));
    await Promise.all(made.map((c) => driver.startContainer(c.id)));
    const seen = await Promise.all(made.map((c) => driver.getContainer(c.id)));
    const nodes = seen.map((c) => c?.node?.id);
    expect(new Set(nodes), `nodes reported: ${nodes.join(', ')}`).toEqual(
      new Set([manager.nodeId, worker.nodeId]),
    );
    for (const c of seen) {
      const socket = c?.node?.id === worker.nodeId ? worker.socketPath : manager.socketPath;
      const there = await containersLabelled(socket, `com.docker.swarm.service.id=${c?.id}`);
      expect(there, `the task of ${c?.id} is on the engine of the node it reports`).toHaveLength(1);
      // Exec reaches the task wherever it runs.
      expect(await driver.exec(c?.id ?? '', ['sh', '-c', 'echo on-$0', 'node'])).toMatchObject({
        exitCode: 0,
        stdout: 'on-node\n',
      });
    }
    expect(
      (await driver.listNodes()).find((n) => n.id === worker.nodeId)?.containers,
      "the worker's view counts its containers",
    ).toBeGreaterThanOrEqual(1);
    await Promise.all(made.map((c) => driver.removeContainer(c.id, { force: true })));
  });

  it('two containers on different nodes talk over an overlay network', async () => {
    const network = await driver.createNetwork({ name: `${session}-talk`, sessionId: session });
    const server = await started(
      shell(session, 'while true; do echo pong | nc -l -p 7000; done', {
        ...onWorker,
        network: network.name,
        name: `${session}-srv`,
      }),
    );
    const client = await started(
      shell(session, 'sleep 120', { ...onManager, network: network.name }),
    );
    expect(server.node?.id).not.toBe(client.node?.id);
    const reply = await eventually(
      'the client on the manager reaches the server on the worker by its name',
      () => driver.exec(client.id, ['sh', '-c', `nc -w 2 ${server.name} 7000 </dev/null`]),
      (r) => r.stdout.includes('pong'),
    );
    expect(reply.exitCode).toBe(0);
  });

  it('an internal overlay has no way to the host, from either node; a network that is not internal has', async () => {
    const { manager } = cluster();
    const gwbridge = await engineGet<{ IPAM: { Config: { Gateway?: string }[] } }>(
      manager.socketPath,
      '/networks/docker_gwbridge',
    );
    const gateway = gwbridge.IPAM.Config[0]?.Gateway;
    if (!gateway) throw new Error('docker_gwbridge has no gateway');
    // The host's addresses a task could reach it at: its gateway bridge, and its swarm address.
    const listeners = await Promise.all([gateway, manager.address].map((a) => hostListener(a)));
    afterAll(() => Promise.all(listeners.map((l) => l.close())));
    const targets = [gateway, manager.address].map((host, i) => ({
      host,
      port: listeners[i]?.port ?? 0,
    }));

    const internal = await driver.createNetwork({
      name: `${session}-internal`,
      sessionId: session,
    });
    expect(internal.internal).toBe(true);
    const inside = await Promise.all(
      [onManager, onWorker].map((where) =>
        started(shell(session, 'sleep 120', { ...where, network: internal.name })),
      ),
    );
    for (const c of inside) {
      for (const { host, port } of targets) {
        const tried = await driver.exec(c.id, connect(host, port));
        expect(tried.exitCode, `${c.node?.hostname} → ${host}:${port}: ${tried.stderr}`).not.toBe(
          0,
        );
      }
    }
    expect(listeners.map((l) => l.accepted())).toEqual([0, 0]);

    // The control: the same probe from a network that is not internal does reach the host.
    const open = await driver.createNetwork({
      name: `${session}-open`,
      sessionId: session,
      internal: false,
    });
    const outside = await started(
      shell(session, 'sleep 120', { ...onManager, network: open.name }),
    );
    const port = targets[0]?.port ?? 0;
    const reached = await driver.exec(outside.id, connect(gateway, port));
    expect(reached.exitCode, reached.stderr).toBe(0);
    expect(listeners[0]?.accepted()).toBeGreaterThanOrEqual(1);
  });

  it('a volume lives on one node, and a container mounting it runs there', async () => {
    const volume = await driver.createVolume({ name: `${session}-data`, sessionId: session });
    // Mounted on the image's /tmp (mode 1777), whose mode an empty volume takes on first use:
    // the containers' user may write it.
    const writer = await started(
      shell(session, 'echo kept > /tmp/file; sleep 120', {
        volumes: [{ source: volume.name, target: '/tmp' }],
        placement: { spread: ['node.id'] },
      }),
    );
    const reader = await started(
      shell(session, 'sleep 120', { volumes: [{ source: volume.name, target: '/tmp' }] }),
    );
    expect(reader.node?.id).toBe(writer.node?.id);
    const read = await eventually(
      'the second container sees what the first wrote',
      () => driver.exec(reader.id, ['cat', '/tmp/file']),
      (r) => r.exitCode === 0,
    );
    expect(read.stdout).toBe('kept\n');
  });

  it('restarts a container that fails when its config asks, as often as it says, and no more', async () => {
    const { manager } = cluster();
    const made = await driver.createContainer(
      shell(session, 'echo run; exit 1', { restart: { condition: 'on-failure', maxAttempts: 2 } }),
    );
    await driver.startContainer(made.id);
    const filters = encodeURIComponent(JSON.stringify({ service: [made.id] }));
    const tasks = await eventually(
      'the first run and its two restarts have ended',
      () =>
        engineGet<{ Status: { State: string } }[]>(manager.socketPath, `/tasks?filters=${filters}`),
      (list) => list.length === 3 && list.every((t) => t.Status.State === 'failed'),
    );
    expect(tasks).toHaveLength(3);
    expect(await driver.waitContainer(made.id)).toEqual({ exitCode: 1, oomKilled: false });
    // Without restart, a failure is final: one task.
    const once = await driver.createContainer(shell(session, 'exit 1'));
    await driver.startContainer(once.id);
    expect(await driver.waitContainer(once.id)).toEqual({ exitCode: 1, oomKilled: false });
    const onceFilter = encodeURIComponent(JSON.stringify({ service: [once.id] }));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(
      await engineGet<unknown[]>(manager.socketPath, `/tasks?filters=${onceFilter}`),
    ).toHaveLength(1);
  });

  it('spreads containers started at once evenly over the values of a node label', async () => {
    const { manager, worker } = cluster();
    const label = 'berth-test-zone';
    await docker(['node', 'update', '--label-add', `${label}=a`, manager.nodeId]);
    await docker(['node', 'update', '--label-add', `${label}=b`, worker.nodeId]);
    try {
      const config = shell(session, 'sleep 120', {
        placement: { spread: [`node.labels.${label}`] },
        resources: { cpu: 0.1, memory: 32 },
      });
      // What this driver already runs counts: the new ones fill the emptier zone first.
      const running = (await driver.listContainers({})).filter((c) => c.status === 'running');
      const already = (nodeId: string) => running.filter((c) => c.node?.id === nodeId).length;
      let zoneA = already(manager.nodeId);
      let zoneB = already(worker.nodeId);
      const made = await Promise.all([1, 2, 3, 4, 5, 6].map(() => driver.createContainer(config)));
      await Promise.all(made.map((c) => driver.startContainer(c.id)));
      for (const _ of made) {
        if (zoneA <= zoneB) zoneA += 1;
        else zoneB += 1;
      }
      const nodes = await Promise.all(
        made.map(async (c) => (await driver.getContainer(c.id))?.node?.id),
      );
      const onManager = nodes.filter((n) => n === manager.nodeId).length;
      expect(
        { onManager, onWorker: nodes.length - onManager },
        `with ${already(manager.nodeId)} and ${already(worker.nodeId)} running there before`,
      ).toEqual({
        onManager: zoneA - already(manager.nodeId),
        onWorker: zoneB - already(worker.nodeId),
      });
      await Promise.all(made.map((c) => driver.removeContainer(c.id, { force: true })));
    } finally {
      await docker(['node', 'update', '--label-rm', label, manager.nodeId]);
      await docker(['node', 'update', '--label-rm', label, worker.nodeId]);
    }
  });
});
