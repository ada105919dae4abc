import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONTRACT_VERSION,
  ConfigurationError,
  ContainerNotFoundError,
  createDriver,
  UnsupportedFeatureError,
} from '@berth/core';
import type Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import {
  berthDrivers,
  type DockerClient,
  type DockerDialRequest,
  DockerDriver,
} from '../../src/index.js';

interface Call {
  method: string;
  path: string;
  body: unknown;
  query: unknown;
}

/** A dockerode stand-in whose modem answers from a table and records every request. */
function fakeEngine(routes: Record<string, unknown>): { docker: DockerClient; calls: Call[] } {
  const calls: Call[] = [];
  const modem = {
    dial(options: DockerDialRequest, callback: (error: unknown, data: unknown) => void) {
      const { _query, _body } = options.options;
      const path = options.path.replace(/\?$/, '');
      calls.push({ method: options.method, path, body: _body, query: _query });
      const key = `${options.method} ${path}`;
      const reply = routes[key];
      if (reply instanceof Error) setImmediate(() => callback(reply, null));
      else if (reply === undefined) {
        const error = Object.assign(new Error('not found'), {
          statusCode: 404,
          json: { message: 'No such thing' },
        });
        setImmediate(() => callback(error, null));
      } else setImmediate(() => callback(null, reply));
    },
  };
  // No cast: the driver asks no more of a client than DockerClient says.
  return { docker: { modem }, calls };
}

const info = {
  OSType: 'linux',
  Driver: 'overlay2',
  DriverStatus: [['Backing Filesystem', 'extfs']],
  MemoryLimit: true,
  CpuCfsQuota: true,
  PidsLimit: true,
};

function inspectReply(id: string, labels: Record<string, string>) {
  return {
    Id: id,
    Name: `/${id}`,
    Created: '2024-05-01T10:00:00Z',
    Config: { Image: 'img', Labels: labels },
    State: {
      Status: 'created',
      ExitCode: 0,
      StartedAt: '0001-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      OOMKilled: false,
    },
    HostConfig: { NanoCpus: 5e8, Memory: 512 * 1024 * 1024, PidsLimit: 100 },
    NetworkSettings: { Ports: {} },
  };
}

describe('DockerDriver with an injected client', () => {
  it('creates nothing from an invalid config: the engine is never asked', async () => {
    const { docker, calls } = fakeEngine({ 'GET /info': info });
    const driver = new DockerDriver({ docker });
    await expect(driver.createContainer({ sessionId: '', image: 'img' })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    expect(calls).toEqual([]);
  });

  it('claims isolated networks only where the probe saw the host kept off an internal one', async () => {
    // A bridge that is not on this host cannot be checked from here.
    const { docker } = fakeEngine({
      'GET /info': info,
      'POST /networks/create': { Id: 'f'.repeat(64) },
      [`GET /networks/${'f'.repeat(64)}`]: { Id: 'f'.repeat(64), Options: {} },
      [`DELETE /networks/${'f'.repeat(64)}`]: '',
    });
    const driver = new DockerDriver({ docker });
    expect((await driver.capabilities()).networks).toBe('logical');
    const error = await driver
      .createNetwork({ name: 'inner', internal: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(String((error as Error).message)).toContain('not on this host');
  });

  it('fails closed on a disk limit the storage driver cannot enforce', async () => {
    const { docker, calls } = fakeEngine({ 'GET /info': info });
    const driver = new DockerDriver({ docker });
    await expect(
      driver.createContainer({ sessionId: 's', image: 'img', resources: { disk: 10 } }),
    ).rejects.toBeInstanceOf(UnsupportedFeatureError);
    // Only the capability probe ran (the engine's /info, then the internal-network probe,
    // which this fake engine fails): nothing was created.
    const paths = calls.map((c) => c.path);
    expect(paths[0]).toBe('/info');
    expect(paths.filter((p) => p === '/containers/create' || p === '/volumes/create')).toEqual([]);
  });

  it('under best-effort, creates without the limit and records it on the container', async () => {
    const { docker, calls } = fakeEngine({
      'GET /info': info,
      'POST /containers/create': { Id: 'abc' },
      'GET /containers/abc/json': inspectReply('abc', {
        'berth.managed': 'true',
        'berth.driver': 'docker',
        'berth.session': 's',
        'berth.unenforced': JSON.stringify([{ feature: 'disk', path: 'resources.disk' }]),
      }),
    });
    const driver = new DockerDriver({
      docker,
      enforcement: 'best-effort',
      labels: { owner: 'me' },
    });
    const instance = await driver.createContainer({
      sessionId: 's',
      image: 'img',
      name: 'box',
      resources: { disk: 10 },
    });
    expect(instance.unenforced).toEqual([{ feature: 'disk', path: 'resources.disk' }]);
    const create = calls.find((c) => c.path === '/containers/create');
    expect(create?.query).toEqual({ name: 'box' });
    const body = create?.body as Dockerode.ContainerCreateOptions;
    expect(body.HostConfig?.StorageOpt).toBeUndefined();
    expect(body.Labels).toMatchObject({
      owner: 'me',
      'berth.session': 's',
      'berth.managed': 'true',
    });
    expect(JSON.parse(body.Labels?.['berth.unenforced'] ?? '[]')).toEqual([
      expect.objectContaining({ feature: 'disk', path: 'resources.disk' }),
    ]);
  });

  it('probes capabilities once and shares the answer', async () => {
    const { docker, calls } = fakeEngine({ 'GET /info': info });
    const driver = new DockerDriver({ docker });
    await Promise.all([driver.capabilities(), driver.capabilities(), driver.capabilities()]);
    expect(calls.filter((c) => c.path === '/info')).toHaveLength(1);
  });

  it('treats a container without berth labels as unknown', async () => {
    const { docker, calls } = fakeEngine({
      'GET /containers/foreign/json': inspectReply('foreign', {}),
    });
    const driver = new DockerDriver({ docker });
    expect(await driver.getContainer('foreign')).toBeNull();
    await expect(driver.stopContainer('foreign')).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect(calls.every((c) => c.method === 'GET')).toBe(true);
  });

  it('does not call the engine for an already aborted signal', async () => {
    const { docker, calls } = fakeEngine({ 'GET /info': info });
    const driver = new DockerDriver({ docker });
    const signal = AbortSignal.abort();
    for (const call of [
      driver.getContainer('x', { signal }),
      driver.startContainer('x', { signal }),
      driver.listContainers({}, { signal }),
      driver.capabilities({ signal }),
      driver.cleanup({ sessionId: 's' }, { signal }),
    ]) {
      await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    }
    expect(calls).toEqual([]);
  });
});

describe('the docker option', () => {
  it('is refused with a ConfigurationError when it is not a client', () => {
    for (const docker of [{}, { modem: {} }, 'unix:///var/run/docker.sock']) {
      expect(() => new DockerDriver({ docker } as never)).toThrow(ConfigurationError);
    }
    expect(() => new DockerDriver({ docker: {} } as never)).toThrow(/modem has dial\(\)/);
  });
});

describe('registration', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-docker-registry-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('exports a berthDrivers factory for docker', () => {
    const driver = berthDrivers.docker.create({ enforcement: 'best-effort' });
    expect(driver).toBeInstanceOf(DockerDriver);
    expect((driver as DockerDriver).enforcement).toBe('best-effort');
  });

  it("is what createDriver('docker') loads from an application that installed it", async () => {
    const packageDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
    mkdirSync(join(root, 'node_modules', '@berth'), { recursive: true });
    symlinkSync(packageDir, join(root, 'node_modules', '@berth', 'driver-docker'), 'dir');
    const driver = await createDriver(
      'docker',
      { socketPath: '/tmp/none.sock' },
      { resolveFrom: root },
    );
    expect(driver.name).toBe('docker');
    expect(driver.contractVersion).toBe(CONTRACT_VERSION);
  });
});
