import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, containerUrl, hostAddress, waitFor } from '../src/index.js';
import { probeHttp, probeTcp } from '../src/readiness/probes.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('port probes from the host side', () => {
  it('count a connection that stays open, not one a proxy accepts and drops', async () => {
    const holds = await listen(createServer(() => undefined));
    // What Docker's userland proxy does when nothing listens in the container.
    const drops = await listen(createServer((socket) => socket.destroy()));
    const signal = new AbortController().signal;
    expect(await probeTcp('127.0.0.1', holds, 100, signal)).toEqual({ ready: true });
    const dropped = await probeTcp('127.0.0.1', drops, 100, signal);
    expect(dropped).toMatchObject({ ready: false });
    expect((dropped as { seen: string }).seen).toMatch(/accepted then closed/);
    const closedPort = await listen(createServer());
    await new Promise((r) => (servers.pop() as Server).close(r));
    expect(await probeTcp('127.0.0.1', closedPort, 100, signal)).toMatchObject({
      ready: false,
      seen: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('take an HTTP answer by status and body', async () => {
    const port = await listen(
      createHttpServer((req, res) => {
        res.writeHead(req.url === '/ok' ? 200 : 503).end(req.url === '/ok' ? 'fine' : 'later');
      }) as unknown as Server,
    );
    const signal = new AbortController().signal;
    const ok = (s: number) => s === 200;
    const url = `http://127.0.0.1:${port}`;
    expect(await probeHttp(`${url}/ok`, 'GET', ok, undefined, 1000, signal)).toEqual({
      ready: true,
    });
    expect(
      await probeHttp(`${url}/ok`, 'GET', ok, (t) => t === 'nope', 1000, signal),
    ).toMatchObject({
      ready: false,
      seen: expect.stringMatching(/body not accepted/),
    });
    expect(await probeHttp(`${url}/x`, 'GET', ok, undefined, 1000, signal)).toMatchObject({
      ready: false,
      seen: expect.stringMatching(/HTTP 503/),
    });
  });
});

describe('containerUrl', () => {
  const instance = {
    id: 'c1',
    ports: [
      { container: 80, host: 49153, hostIp: '0.0.0.0', protocol: 'tcp' as const },
      { container: 81, host: 49154, hostIp: '::', protocol: 'tcp' as const },
      { container: 82, host: 49155, hostIp: '127.0.0.2', protocol: 'tcp' as const },
    ],
  };

  it('gives the address the host reaches, wildcards on loopback, IPv6 bracketed', () => {
    expect(containerUrl(instance, 80, '/health')).toBe('http://127.0.0.1:49153/health');
    expect(containerUrl(instance, 81)).toBe('http://[::1]:49154/');
    expect(containerUrl(instance, 82, '/', 'ws')).toBe('ws://127.0.0.2:49155/');
    expect(hostAddress(instance.ports[0] as never)).toEqual({
      host: '127.0.0.1',
      port: 49153,
      url: '127.0.0.1:49153',
    });
  });

  it('says how to publish a port that is not, and refuses a gone container or a bad path', () => {
    expect(() => containerUrl(instance, 8080)).toThrow(/does not publish port 8080\/tcp.*ports/);
    expect(() => containerUrl(null, 80)).toThrow(ConfigurationError);
    expect(() => containerUrl(instance, 80, 'health')).toThrow(ConfigurationError);
  });
});

describe('waitFor builders', () => {
  it('refuse what cannot be waited for', () => {
    expect(() => waitFor.logLine('')).toThrow(ConfigurationError);
    expect(() => waitFor.logLine('x', { times: 0 })).toThrow(ConfigurationError);
    expect(() => waitFor.port(0)).toThrow(ConfigurationError);
    expect(() => waitFor.port(70_000)).toThrow(ConfigurationError);
    expect(() => waitFor.http(80, 'no-slash')).toThrow(ConfigurationError);
    expect(() => waitFor.command([])).toThrow(ConfigurationError);
    expect(() => waitFor.all()).toThrow(ConfigurationError);
    expect(() => waitFor.any({} as never)).toThrow(ConfigurationError);
  });
});
