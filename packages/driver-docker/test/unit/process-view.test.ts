import { UnsupportedFeatureError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { type DockerDialRequest, DockerDriver } from '../../src/index.js';
import { type ExecInspect, isSpawn } from '../../src/processes/engine-exec.js';
import { inContainerCgroup, readHostProcess } from '../../src/processes/host-process.js';

const ID = `${'ab'.repeat(31)}cd`;
const OTHER = `${'ab'.repeat(31)}ce`;

describe("a container's processes as this host's /proc shows them", () => {
  it('are in a cgroup named by the full id, under either cgroup driver', () => {
    expect(inContainerCgroup(`9:pids:/docker/${ID}\n0::/`, ID)).toBe(true);
    expect(inContainerCgroup(`0::/system.slice/docker-${ID}.scope`, ID)).toBe(true);
    expect(inContainerCgroup(`0::/kubepods/besteffort/pod1/${ID}/sub`, ID)).toBe(true);
    // Another container, one whose id only starts the same, the host itself: none of them.
    expect(inContainerCgroup(`9:pids:/docker/${OTHER}`, ID)).toBe(false);
    expect(inContainerCgroup(`9:pids:/docker/${ID}ff`, ID)).toBe(false);
    expect(inContainerCgroup('9:pids:/\n0::/', ID)).toBe(false);
    // A short id or a name is never matched: only the engine's full id is.
    expect(inContainerCgroup(`9:pids:/docker/${ID}`, ID.slice(0, 12))).toBe(false);
  });

  it('never include a process outside the container', () => {
    expect(readHostProcess(process.pid, ID), 'this test process').toBeNull();
    expect(readHostProcess(1, ID), "the host's init").toBeNull();
    expect(readHostProcess(0, ID)).toBeNull();
    expect(readHostProcess(-process.pid, ID), 'a process group').toBeNull();
    expect(readHostProcess(2 ** 30, ID), 'no such pid').toBeNull();
  });
});

describe("Berth's mark on its spawns", () => {
  const exec = (DetachKeys: string | null): ExecInspect => ({
    ID: 'e',
    ContainerID: ID,
    Running: true,
    ExitCode: null,
    Pid: 10,
    DetachKeys,
  });

  it('is read as Docker encodes it (base64) or as a plain string', () => {
    expect(isSpawn(exec('AmVydGg='))).toBe(true);
    expect(isSpawn(exec('ctrl-b,e,r,t,h'))).toBe(true);
    // A health check's or `docker exec`'s: no detach keys, or the user's own.
    expect(isSpawn(exec(''))).toBe(false);
    expect(isSpawn(exec(null))).toBe(false);
    expect(isSpawn(exec('EBE='))).toBe(false);
  });
});

/** A client whose modem answers from a table, records requests, and says where it connects. */
function fakeEngine(routes: Record<string, unknown>, where: Record<string, unknown>) {
  const calls: string[] = [];
  const modem = {
    ...where,
    dial(options: DockerDialRequest, callback: (error: unknown, data: unknown) => void) {
      const key = `${options.method} ${options.path.replace(/\?$/, '')}`;
      calls.push(key);
      const reply = routes[key];
      const missing = Object.assign(new Error('not found'), {
        statusCode: 404,
        json: { message: 'No such thing' },
      });
      setImmediate(() => (reply === undefined ? callback(missing, null) : callback(null, reply)));
    },
  };
  return { docker: { modem }, calls };
}

const info = { OSType: 'linux', MemoryLimit: true, CpuCfsQuota: true, PidsLimit: true };

describe('processes where the engine is', () => {
  it('are not claimed for an engine on another host, whose processes cannot be killed', async () => {
    const remote = fakeEngine({ 'GET /info': info }, { host: 'engine.example.com', port: 2376 });
    const caps = await new DockerDriver({ docker: remote.docker }).capabilities();
    expect({ processes: caps.processes, processAttach: caps.processAttach }).toEqual({
      processes: false,
      processAttach: false,
    });
    const local = fakeEngine({ 'GET /info': info }, { socketPath: '/var/run/docker.sock' });
    expect((await new DockerDriver({ docker: local.docker }).capabilities()).processes).toBe(true);
  });

  it('are not started in a container whose processes this host does not show', async () => {
    // A local socket, but the engine's pids are not this host's (a socket mounted into a
    // container, say): the container's init is nowhere in /proc.
    const running = {
      Id: ID,
      Name: '/box',
      Config: { Labels: { 'berth.managed': 'true', 'berth.driver': 'docker' } },
      State: { Status: 'running', Running: true, Paused: false, Pid: 2 ** 30 },
    };
    const { docker, calls } = fakeEngine(
      { 'GET /info': info, [`GET /containers/${ID}/json`]: running },
      { socketPath: '/var/run/docker.sock' },
    );
    const driver = new DockerDriver({ docker });
    const error = await driver.spawn(ID, ['true']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect((error as Error).message).toMatch(/cannot signal an exec/);
    expect(
      calls.filter((c) => c.includes('/exec')),
      'no exec was made',
    ).toEqual([]);
  });
});
