import {
  ConfigurationError,
  ContainerNotFoundError,
  NetworkNotFoundError,
  VolumeNotFoundError,
} from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { describe, expect, it } from 'vitest';
import { forTenant } from '../src/index.js';

const image = 'berth-test/busybox:latest';

async function setup() {
  const driver = new MockDockerDriver();
  const a = forTenant(driver, 'a');
  const b = forTenant(driver, 'b');
  const mine = await a.createContainer({
    sessionId: 's1',
    image,
    name: 'a-web',
    command: ['sleep', '100'],
  });
  return { driver, a, b, mine };
}

describe('forTenant scoping', () => {
  it('stamps the tenant and lists only its own containers, volumes and networks', async () => {
    const { driver, a, b, mine } = await setup();
    expect(mine.tenantId).toBe('a');
    await b.createContainer({ sessionId: 's1', image });
    await a.createVolume({ name: 'a-data' });
    await b.createVolume({ name: 'b-data' });
    expect((await a.listContainers()).map((c) => c.id)).toEqual([mine.id]);
    expect(await a.listContainers({ tenantId: 'b' })).toEqual([]);
    expect((await a.listVolumes()).map((v) => v.name)).toEqual(['a-data']);
    expect((await a.listNetworks()).map((n) => n.name)).toEqual(['tenant-a']);
    expect((await driver.listContainers()).length).toBe(2);
  });

  it('refuses a config naming another tenant, creating nothing', async () => {
    const { driver, a } = await setup();
    const before = (await driver.listContainers()).length;
    await expect(a.createContainer({ sessionId: 's', image, tenantId: 'b' })).rejects.toThrow(
      ConfigurationError,
    );
    await expect(a.createVolume({ name: 'x', tenantId: 'b' })).rejects.toThrow(ConfigurationError);
    await expect(a.createNetwork({ name: 'x', tenantId: 'b' })).rejects.toThrow(ConfigurationError);
    expect((await driver.listContainers()).length).toBe(before);
    expect(await driver.listVolumes()).toEqual([]);
  });

  it("answers every operation on another tenant's container as for one that does not exist", async () => {
    const { driver, b, mine } = await setup();
    await driver.startContainer(mine.id);
    for (const id of [mine.id, mine.name]) {
      expect(await b.getContainer(id)).toBeNull();
      const calls: [string, () => Promise<unknown>][] = [
        ['start', () => b.startContainer(id)],
        ['stop', () => b.stopContainer(id)],
        ['restart', () => b.restartContainer(id)],
        ['remove', () => b.removeContainer(id, { force: true })],
        ['logs', () => b.getContainerLogs(id)],
        ['wait', () => b.waitContainer(id)],
        ['exec', () => b.exec(id, ['true'])],
        ['stats', () => b.getContainerStats(id)],
        ['healthy', () => b.isContainerHealthy(id)],
        ['signal', () => b.signalContainer(id, 'SIGKILL')],
        ['pause', () => b.pauseContainer(id)],
        ['resume', () => b.resumeContainer(id)],
        ['spawn', () => b.spawn(id, ['true'])],
        ['listProcesses', () => b.listProcesses(id)],
        ['attach', () => b.attach(id, 'proc-1')],
        ['writeFile', () => b.writeFile(id, '/tmp/x', 'x')],
        ['readFile', () => b.readFile(id, '/etc/hostname')],
        ['listFiles', () => b.listFiles(id, '/')],
        ['removeFile', () => b.removeFile(id, '/tmp', { recursive: true })],
        ['makeDir', () => b.makeDir(id, '/tmp/d')],
        ['download', () => b.download(id, '/')],
        [
          'streamLogs',
          async () => {
            for await (const _ of b.streamLogs(id)) break;
          },
        ],
      ];
      for (const [what, call] of calls) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, what).toBeInstanceOf(ContainerNotFoundError);
        expect((error as ContainerNotFoundError).containerId, what).toBe(id);
      }
    }
    // Nothing happened to it.
    expect((await driver.getContainer(mine.id))?.status).toBe('running');
  });

  it("answers another tenant's volumes and networks as not found", async () => {
    const { driver, a, b } = await setup();
    const volume = await a.createVolume({ name: 'a-data' });
    const network = await a.createNetwork({ name: 'a-net' });
    for (const id of [volume.id, volume.name]) {
      const error = await b.removeVolume(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VolumeNotFoundError);
      expect((error as VolumeNotFoundError).volumeId).toBe(id);
    }
    for (const id of [network.id, network.name]) {
      const error = await b.removeNetwork(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkNotFoundError);
      expect((error as NetworkNotFoundError).networkId).toBe(id);
    }
    // Nor may b's containers join a's network. A volume named like a's is b's own, another one:
    // names belong to their tenant, so b neither reaches a's data nor learns that it exists.
    await expect(b.createContainer({ sessionId: 's', image, network: 'a-net' })).rejects.toThrow(
      NetworkNotFoundError,
    );
    const theirs = await b.createContainer({
      sessionId: 's',
      image,
      volumes: [{ source: 'a-data', target: '/d' }],
    });
    const engineVolumes = (await driver.listVolumes()).map((v) => `${v.tenantId} ${v.name}`).sort();
    expect(engineVolumes).toEqual(['a t1.a.a-data', 'b t1.b.a-data']);
    expect((await b.listVolumes()).map((v) => v.name)).toEqual(['a-data']);
    expect((await driver.listNetworks()).map((n) => n.name).sort()).toEqual([
      't1.a.a-net',
      'tenant-a',
      'tenant-b',
    ]);
    await b.removeContainer(theirs.id, { force: true });
    await a.removeVolume(volume.name);
    await a.removeNetwork(network.id);
  });

  it('gives every tenant its own names: a name another tenant holds is neither refused nor revealed', async () => {
    const driver = new MockDockerDriver();
    const a = forTenant(driver, 'a');
    const b = forTenant(driver, 'b');
    const mine = await a.createContainer({ sessionId: 's', image, name: 'web' });
    // Before, this was a ConflictError: proof, to tenant b, that someone holds 'web'.
    const theirs = await b.createContainer({ sessionId: 's', image, name: 'web' });
    expect(mine.name).toBe('web');
    expect(theirs.name).toBe('web');
    expect((await a.getContainer('web'))?.id).toBe(mine.id);
    expect((await b.getContainer('web'))?.id).toBe(theirs.id);
    expect((await b.listContainers()).map((c) => c.name)).toEqual(['web']);
    // The same for volumes and networks.
    expect((await a.createVolume({ name: 'data' })).name).toBe('data');
    expect((await b.createVolume({ name: 'data' })).name).toBe('data');
    expect((await a.createNetwork({ name: 'net' })).name).toBe('net');
    expect((await b.createNetwork({ name: 'net' })).name).toBe('net');
    await a.removeVolume('data');
    expect((await b.listVolumes()).map((v) => v.name)).toEqual(['data']);
  });

  it("restricts cleanup to the tenant: { all: true } is all of the tenant's, another's is nothing", async () => {
    const { driver, a, b } = await setup();
    const theirs = await b.createContainer({ sessionId: 's1', image });
    expect(await a.cleanup({ tenantId: 'b' })).toEqual({ containers: 0, volumes: 0, networks: 0 });
    expect((await a.cleanup({ sessionId: 's1' })).containers).toBe(1);
    expect(await driver.getContainer(theirs.id)).not.toBeNull();
    await a.createContainer({ sessionId: 's2', image });
    const all = await a.cleanup({ all: true });
    expect(all.containers).toBe(1);
    expect(await driver.getContainer(theirs.id)).not.toBeNull();
    expect((await driver.listNetworks()).map((n) => n.name)).toEqual(['tenant-b']);
    await expect(a.cleanup({} as never)).rejects.toThrow(ConfigurationError);
  });

  it('refuses a bad tenant id or policy, listing every problem', () => {
    const driver = new MockDockerDriver();
    const error = (() => {
      try {
        forTenant(driver, 'Bad Id', { images: 'x', quota: { cpu: -1 } } as never);
      } catch (e) {
        return e;
      }
    })() as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.issues.map((i) => i.path.join('.'))).toEqual([
      'tenantId',
      'policy.images',
      'policy.quota.cpu',
    ]);
  });

  it('passes members beyond the contract through', async () => {
    const { driver, a } = await setup();
    expect(a.name).toBe(driver.name);
    await a.close();
  });
});
