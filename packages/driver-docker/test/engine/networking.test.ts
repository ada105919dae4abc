import { connect } from 'node:net';
import { NetworkNotFoundError } from '@berth/core';
import { expect, it } from 'vitest';
import { describeEngine, docker, eventually, shell, useSession } from '../support/engine.js';

function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describeEngine('networks and ports on a real engine', () => {
  const { driver, session } = useSession('net');

  it('creates an internal network where two containers reach each other by name', async () => {
    const network = await driver.createNetwork({ name: `${session}-inner`, sessionId: session });
    expect(network).toMatchObject({ internal: true, sessionId: session, driver: 'bridge' });
    expect((await docker.getNetwork(network.id).inspect()).Internal).toBe(true);
    expect((await driver.listNetworks()).map((n) => n.id)).toContain(network.id);

    const serverName = `${session}-server`;
    const server = await driver.createContainer(
      shell(session, 'while true; do echo pong | nc -l -p 7000; done', {
        name: serverName,
        network: network.name,
      }),
    );
    await driver.startContainer(server.id);
    const client = await driver.createContainer(
      shell(
        session,
        `for i in $(seq 100); do r=$(nc ${serverName} 7000 </dev/null) && [ "$r" = pong ] && echo "got $r" && exit 0; sleep 0.1; done; exit 1`,
        { network: network.name },
      ),
    );
    await driver.startContainer(client.id);
    expect(await driver.waitContainer(client.id)).toEqual({ exitCode: 0, oomKilled: false });
    expect(await driver.getContainerLogs(client.id)).toContain('got pong');

    await driver.removeContainer(server.id, { force: true });
    await driver.removeContainer(client.id);
    await driver.removeNetwork(network.id);
    await expect(driver.removeNetwork(network.id)).rejects.toBeInstanceOf(NetworkNotFoundError);
  });

  it('publishes a port on 127.0.0.1 and says where in endpoint', async () => {
    const instance = await driver.createContainer(
      shell(session, 'while true; do echo hello-from-container | nc -l -p 8080; done', {
        ports: [{ container: 8080 }],
      }),
    );
    await driver.startContainer(instance.id);
    const running = await driver.getContainer(instance.id);
    expect(running?.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(running?.ports).toEqual([
      {
        container: 8080,
        host: Number(running?.endpoint?.split(':')[1]),
        hostIp: '127.0.0.1',
        protocol: 'tcp',
      },
    ]);
    const [host, port] = (running?.endpoint ?? '').split(':');
    // The listener inside may not be up yet when the container is; the proxy then closes at once.
    const read = await eventually(
      `a reply on ${running?.endpoint} (what a connection read)`,
      () =>
        readFrom(host ?? '', Number(port)).then(
          (reply) => ({ reply }),
          (error: unknown) => ({ reply: '', error: String(error) }),
        ),
      (seen) => seen.reply !== '',
      { timeoutMs: 10_000 },
    );
    expect(read.reply).toBe('hello-from-container\n');
    await driver.stopContainer(instance.id, { force: true });
    expect((await driver.getContainer(instance.id))?.endpoint).toBeNull();
  });

  it('creates, lists and removes volumes of a session', async () => {
    const volume = await driver.createVolume({
      name: `${session}-vol`,
      sessionId: session,
      labels: { k: 'v' },
    });
    expect(volume).toMatchObject({ id: `${session}-vol`, sessionId: session, driver: 'local' });
    expect(volume.labels.k).toBe('v');
    expect((await driver.listVolumes()).map((v) => v.name)).toContain(volume.name);
    // A second create of the same session's volume is the same volume.
    expect((await driver.createVolume({ name: volume.name, sessionId: session })).id).toBe(
      volume.id,
    );
    await driver.removeVolume(volume.id);
    expect((await driver.listVolumes()).map((v) => v.name)).not.toContain(volume.name);
  });
});
