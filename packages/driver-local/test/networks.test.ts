import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, makeDriver, shell } from './helpers.js';

/*
 * Networks from the inside: an internal network is a namespace its containers share and nothing
 * else reaches; no network at all is an empty namespace; a non-internal network is the host's.
 */

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
});

/** A TCP listener on the host that counts connections. */
async function hostListener(host: string): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    // The probe hangs up at once: a reset is expected, not an error.
    socket.on('error', () => undefined);
    socket.end('host says hi\n');
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, host, done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, connections: () => count };
}

/** Every IPv4 address the host has, loopback included: bridges' gateways too. */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4')
    .map((a) => (a as { address: string }).address);
}

/** A script that tries each address and prints `<address> open|closed`. */
function probeScript(addresses: string[], port: number): string {
  return addresses
    .map(
      (a) =>
        `if timeout 3 bash -c 'exec 3<>/dev/tcp/${a}/${port}' 2>/dev/null; then echo "${a} open"; else echo "${a} closed"; fi`,
    )
    .join('; ');
}

describe('networks', () => {
  it('keep an internal network to its containers: they reach each other, nothing reaches the host', async () => {
    const driver = await makeDriver();
    const loopback = await hostListener('127.0.0.1');
    const any = await hostListener('0.0.0.0');
    const network = await driver.createNetwork({ name: 'inner', sessionId: 's', internal: true });
    expect(existsSync(`/run/netns/berth-${network.id}`)).toBe(true);
    const server = await driver.createContainer(
      shell('echo listening; busybox nc -l -p 7000', { network: 'inner' }),
    );
    await driver.startContainer(server.id);
    await eventually(
      "the server to print 'listening' (its logs)",
      () => driver.getContainerLogs(server.id),
      (logs) => logs.includes('listening'),
    );
    // busybox nc is listening a moment after it printed; the client retries for a while.
    const client = await driver.createContainer(
      shell(
        // A refused connection is tried again; one that was made ends when timeout closes it.
        `for i in 1 2 3 4 5 6 7 8 9 10; do echo from-peer | timeout 2 busybox nc 127.0.0.1 7000; [ $? = 1 ] || break; sleep 0.2; done; ${probeScript(['127.0.0.1', ...hostAddresses()], loopback.port)}; ${probeScript(hostAddresses(), any.port)}`,
        { network: 'inner' },
      ),
    );
    await driver.startContainer(client.id);
    await driver.waitContainer(client.id);
    expect(await driver.waitContainer(server.id)).toMatchObject({ exitCode: 0 });
    expect(await driver.getContainerLogs(server.id)).toBe('listening\nfrom-peer\n');
    const out = await driver.getContainerLogs(client.id, { stderr: false });
    expect(out).not.toContain(' open');
    expect(out.match(/ closed/g)?.length).toBe(1 + 2 * hostAddresses().length);
    expect(loopback.connections() + any.connections()).toBe(0);
    await driver.removeNetwork(network.id);
    expect(existsSync(`/run/netns/berth-${network.id}`)).toBe(false);
  });

  it('give a container that names no network a namespace with nothing in it', async () => {
    const driver = await makeDriver();
    const loopback = await hostListener('127.0.0.1');
    const c = await driver.createContainer(
      shell(`${probeScript(['127.0.0.1', ...hostAddresses()], loopback.port)}`),
    );
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id)).not.toContain(' open');
    expect(loopback.connections()).toBe(0);
  });

  it("put a non-internal network's containers on the host's network, as documented", async () => {
    const driver = await makeDriver();
    const loopback = await hostListener('127.0.0.1');
    await driver.createNetwork({ name: 'outer', sessionId: 's', internal: false });
    const c = await driver.createContainer(
      shell(probeScript(['127.0.0.1'], loopback.port), { network: 'outer' }),
    );
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id)).toBe('127.0.0.1 open\n');
  });

  it('remove their namespaces with the session', async () => {
    const driver = await makeDriver();
    const network = await driver.createNetwork({ name: 'gone', sessionId: 'doomed' });
    expect(existsSync(`/run/netns/berth-${network.id}`)).toBe(true);
    expect(await driver.cleanup({ sessionId: 'doomed' })).toMatchObject({ networks: 1 });
    expect(existsSync(`/run/netns/berth-${network.id}`)).toBe(false);
  });
});
