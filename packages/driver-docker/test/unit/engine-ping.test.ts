import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError, createDriver, detectDriver } from '@berth/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { berthDrivers, engineAddress, pingDockerEngine } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'berth-docker-ping-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

/** Something answering `/_ping` as an engine does, on a socket path or a TCP port. */
async function fakeEngine(where: string | 0): Promise<Server> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/_ping' ? 200 : 404;
    res.end('OK');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(where, resolve));
  return server;
}

const dead = `unix://${join(root, 'dead.sock')}`;

describe('engineAddress', () => {
  it('reads DOCKER_HOST-style addresses', () => {
    expect(engineAddress('unix:///run/x.sock')).toEqual({ socketPath: '/run/x.sock' });
    expect(engineAddress('tcp://10.0.0.5:2376')).toEqual({ host: '10.0.0.5', port: 2376 });
    expect(engineAddress('tcp://engine')).toEqual({ host: 'engine', port: 2375 });
    expect(engineAddress('')).toEqual({ socketPath: '/var/run/docker.sock' });
  });
});

describe('pingDockerEngine', () => {
  it('is false where nothing answers, or for an address it cannot read', async () => {
    expect(await pingDockerEngine({ dockerHost: dead })).toBe(false);
    expect(await pingDockerEngine({ dockerHost: 'not a url' })).toBe(false);
    expect(await pingDockerEngine({ socketPath: join(root, 'dead.sock') })).toBe(false);
    expect(await pingDockerEngine({ host: '127.0.0.1', port: 'no-port' })).toBe(false);
    expect(await pingDockerEngine({ protocol: 'ssh', host: 'engine' })).toBe(false);
  });

  it('is true where something answers /_ping like an engine', async () => {
    const socketPath = join(root, 'engine.sock');
    await fakeEngine(socketPath);
    expect(await pingDockerEngine({ dockerHost: `unix://${socketPath}` })).toBe(true);
    expect(await pingDockerEngine({ socketPath })).toBe(true);
    const tcp = await fakeEngine(0);
    const { port } = tcp.address() as AddressInfo;
    expect(await pingDockerEngine({ host: '127.0.0.1', port })).toBe(true);
    expect(await pingDockerEngine({ dockerHost: `tcp://127.0.0.1:${port}` })).toBe(true);
  });

  it('the given socketPath wins over DOCKER_HOST, as it does for the driver', async () => {
    const socketPath = join(root, 'given.sock');
    await fakeEngine(socketPath);
    expect(await pingDockerEngine({ socketPath, dockerHost: dead })).toBe(true);
  });
});

describe('the registry entry', () => {
  const signal = new AbortController().signal;
  // An application with this package installed, as the registry expects to find it.
  const app = join(root, 'app');
  const packageDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  mkdirSync(join(app, 'node_modules', '@berth'), { recursive: true });
  symlinkSync(packageDir, join(app, 'node_modules', '@berth', 'driver-docker'), 'dir');

  it("probes the engine the driver's options point at", async () => {
    const socketPath = join(root, 'probe.sock');
    await fakeEngine(socketPath);
    const probe = berthDrivers.docker.probe!;
    expect(await probe({ options: { socketPath }, timeoutMs: 500, signal })).toBe(true);
    const away = join(root, 'away.sock');
    expect(await probe({ options: { socketPath: away }, timeoutMs: 500, signal })).toBe(false);
  });

  it('lets detection pick docker only when its engine answers', async () => {
    const socketPath = join(root, 'detect.sock');
    await fakeEngine(socketPath);
    expect(await detectDriver({ resolveFrom: app, options: { socketPath } })).toBe('docker');
    // Not answering, and with no local driver installed in this app: nothing to pick.
    const error = await detectDriver({
      resolveFrom: app,
      options: { socketPath: join(root, 'away.sock') },
      timeoutMs: 300,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'docker' cannot run here");

    const driver = await createDriver(undefined, { socketPath }, { resolveFrom: app, env: {} });
    expect(driver.name).toBe('docker');
  });

  it('refuses a misspelt option, naming the right one', async () => {
    const error = await createDriver('docker', { socketpath: '/x.sock' } as never, {
      resolveFrom: app,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'socketpath' (did you mean 'socketPath'?)");
  });
});
