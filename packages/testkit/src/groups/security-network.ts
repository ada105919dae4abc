import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ExecResult } from '@berth/core';
import { expect } from 'vitest';
import type { GroupTest } from '../conformance.js';
import { poll } from '../support.js';
import { describeError, probeConfig, removeAll, shortId } from './security-support.js';

interface Listener {
  address: string;
  port: number;
  /** Remote addresses of every connection it accepted. */
  seen: string[];
  server: Server;
}

/** A TCP server in the test process, recording (then dropping) every connection. */
async function listenOnHost(address: string): Promise<Listener> {
  const seen: string[] = [];
  const server = createServer((socket) => {
    seen.push(socket.remoteAddress ?? '?');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return { address, port, seen, server };
}

/** Every IPv4 address of the host, bridge gateways included, as it is now. */
function hostAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return [...new Set(all.filter((a) => a.family === 'IPv4').map((a) => a.address))];
}

const CONNECT_TIMEOUT_MS = 10_000;

export function defineNetworkTests(test: GroupTest): void {
  test(
    'an internal network cannot reach the host',
    async (ctx) => {
      const options = ctx.options.security ?? {};
      const connect =
        options.connect ??
        ((host: string, port: number) => ['nc', '-z', '-w', '2', host, `${port}`]);
      const listen = options.listen ?? ((port: number) => ['nc', '-l', '-p', `${port}`]);
      const peerAddress = options.peerAddress ?? ((peer: { name: string }) => peer.name);
      const attempt = (id: string, host: string, port: number): Promise<ExecResult> =>
        ctx.driver
          .exec(id, connect(host, port), { timeout: CONNECT_TIMEOUT_MS })
          .catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: describeError(e) }));

      const loopback = await listenOnHost('127.0.0.1');
      const wildcard = await listenOnHost('0.0.0.0');
      const network = await ctx.driver.createNetwork({
        name: `${ctx.sessionId}-isolated-${shortId()}`,
        sessionId: ctx.sessionId,
        internal: true,
      });
      const ids: string[] = [];
      try {
        const peerPort = 20_000 + randomInt(20_000);
        const peer = await ctx.driver.createContainer(
          probeConfig(ctx, { command: listen(peerPort), network: network.name }),
        );
        ids.push(peer.id);
        const client = await ctx.driver.createContainer(
          probeConfig(ctx, { command: ctx.longRunning(), network: network.name }),
        );
        ids.push(client.id);
        await ctx.driver.startContainer(peer.id);
        await ctx.driver.startContainer(client.id);

        const findings: string[] = [];
        // Taken once the network exists: its bridge gateway, if it has one, is among them.
        const targets: [string, Listener][] = [
          ['127.0.0.1', loopback],
          ...hostAddresses().map((a): [string, Listener] => [a, wildcard]),
        ];
        for (const [host, listener] of targets) {
          const result = await attempt(client.id, host, listener.port);
          if (result.exitCode === 0) {
            findings.push(
              `connected to ${host}:${listener.port} (the host's server on ${listener.address})`,
            );
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (const listener of [loopback, wildcard]) {
          if (listener.seen.length > 0) {
            findings.push(
              `the host's server on ${listener.address}:${listener.port} accepted connections from ${listener.seen.join(', ')}`,
            );
          }
        }

        // The control: it shows the connect command works here, so the failures above mean
        // something. The listener may take a moment to be up.
        const address = peerAddress(peer);
        const { ok: reached, last } = await poll(
          () => attempt(client.id, address, peerPort),
          (result) => result.exitCode === 0,
          { timeoutMs: 15_000, everyMs: 500 },
        );
        if (!reached) {
          findings.push(
            `a container could not reach its peer on the same internal network at ${address}:${peerPort} within 15 s (last exit ${last.exitCode}: ${last.stderr.trim()}); check security.connect, listen and peerAddress`,
          );
        }
        expect(
          findings,
          'a container on an internal network reaches no server of the host, but reaches its peer',
        ).toEqual([]);
      } finally {
        await removeAll(ctx, ids);
        await ctx.driver.removeNetwork(network.id).catch(() => {});
        loopback.server.close();
        wildcard.server.close();
      }
    },
    (caps) => {
      if (caps.networks !== 'isolated') {
        return `the driver reports networks: ${JSON.stringify(caps.networks)}, not 'isolated'`;
      }
      return caps.exec ? undefined : 'the driver reports exec: false';
    },
  );
}
