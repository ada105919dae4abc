import { ConflictError, ContainerStartError, NetworkError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { type DockerClient, type DockerDialRequest, DockerDriver } from '../../src/index.js';

/*
 * How the driver reads an engine refusal of pause, resume, signal, exec and start: by the
 * container's state, read again, never by the engine's wording. Replies are Docker 20.10's.
 */

const ID = 'c0ffee';

function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), {
    statusCode,
    json: { message },
  });
}

const refused = (status: number) => engineError(status, 'refused');
const away = () =>
  Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });

function inspected(state: { Status: string; Paused?: boolean }) {
  return {
    Id: ID,
    Name: `/${ID}`,
    Created: '2024-05-01T10:00:00Z',
    Config: {
      Image: 'img',
      Labels: { 'berth.managed': 'true', 'berth.driver': 'docker', 'berth.session': 's' },
    },
    State: {
      Running: state.Status === 'running' || state.Status === 'paused',
      Paused: false,
      ExitCode: 0,
      StartedAt: '0001-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      OOMKilled: false,
      ...state,
    },
    HostConfig: {},
    NetworkSettings: { Ports: {} },
  };
}

/**
 * A dockerode stand-in: each route answers with its reply (an Error is thrown), a list of
 * replies answers one per call, the last one repeated. Every request is recorded.
 */
function fakeEngine(routes: Record<string, unknown>): { driver: DockerDriver; calls: string[] } {
  const calls: string[] = [];
  const modem = {
    dial(options: DockerDialRequest, callback: (error: unknown, data: unknown) => void) {
      const key = `${options.method} ${options.path.replace(/\?$/, '')}`;
      calls.push(key);
      const route = routes[key] ?? engineError(404, 'No such thing');
      const reply = Array.isArray(route) ? (route.length > 1 ? route.shift() : route[0]) : route;
      setImmediate(() =>
        reply instanceof Error ? callback(reply, null) : callback(null, reply ?? ''),
      );
    },
  };
  const docker: DockerClient = { modem };
  return { driver: new DockerDriver({ docker }), calls };
}

const base = (state: { Status: string; Paused?: boolean }) => ({
  'GET /info': { OSType: 'linux' },
  [`GET /containers/${ID}/json`]: inspected(state),
});

describe('refusals of control calls, explained by the container state', () => {
  it('never sends a signal to a paused container (the engine would thaw it)', async () => {
    const { driver, calls } = fakeEngine(base({ Status: 'paused', Paused: true }));
    const error = await driver.signalContainer(ID, 'SIGTERM').catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/is paused: resume it \(resumeContainer\) before signalling/);
    expect(calls.filter((c) => c.includes('/kill'))).toEqual([]);
  });

  it('makes pause of a paused one and resume of a running one no-ops, whatever the status', async () => {
    const paused = fakeEngine({
      ...base({ Status: 'paused', Paused: true }),
      [`POST /containers/${ID}/pause`]: engineError(409, `Container ${ID} is already paused`),
    });
    await expect(paused.driver.pauseContainer(ID)).resolves.toBeUndefined();
    const running = fakeEngine({
      ...base({ Status: 'running' }),
      // Docker 20.10 answers this one with a 500, which alone would read as a retryable failure.
      [`POST /containers/${ID}/unpause`]: engineError(500, `Container ${ID} is not paused`),
    });
    await expect(running.driver.resumeContainer(ID)).resolves.toBeUndefined();
  });

  it('turns a refusal into a ConflictError that says what to do', async () => {
    const exited = fakeEngine({
      ...base({ Status: 'exited' }),
      [`POST /containers/${ID}/pause`]: refused(409),
      [`POST /containers/${ID}/unpause`]: refused(500),
    });
    for (const call of [
      () => exited.driver.pauseContainer(ID),
      () => exited.driver.resumeContainer(ID),
      () => exited.driver.signalContainer(ID, 'SIGHUP'),
    ]) {
      const error = await call().catch((e) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toMatch(
        /it is exited, not (running|paused); start it with startContainer/,
      );
    }
    const paused = fakeEngine({
      ...base({ Status: 'paused', Paused: true }),
      [`POST /containers/${ID}/start`]: engineError(
        409,
        'cannot start a paused container, try unpause instead',
      ),
      [`POST /containers/${ID}/exec`]: engineError(
        409,
        `Container ${ID} is paused, unpause the container before exec`,
      ),
    });
    const start = await paused.driver.startContainer(ID).catch((e) => e);
    expect(start).toBeInstanceOf(ConflictError);
    expect(start.retryable).toBe(false);
    expect(start.message).toMatch(/resumeContainer\) instead of starting it/);
    const exec = await paused.driver.exec(ID, ['true']).catch((e) => e);
    expect(exec).toBeInstanceOf(ConflictError);
    expect(exec.message).toMatch(/resumeContainer\) before exec/);
  });

  it('keeps the refusal itself where the state does not explain it', async () => {
    // A pause that fails on a running container (the freezer failed, say) is that failure.
    const failed = fakeEngine({
      ...base({ Status: 'running' }),
      [`POST /containers/${ID}/pause`]: engineError(500, 'freezer: device busy'),
      [`POST /containers/${ID}/start`]: engineError(500, 'OCI runtime create failed'),
    });
    const pause = await failed.driver.pauseContainer(ID).catch((e) => e);
    expect(pause.message).toBe('freezer: device busy');
    expect(pause).not.toBeInstanceOf(ConflictError);
    expect(await failed.driver.startContainer(ID).catch((e) => e)).toBeInstanceOf(
      ContainerStartError,
    );
    // The engine gone while the state is read again: the refusal, not the failed read.
    const inspect = inspected({ Status: 'running' });
    const gone = fakeEngine({
      'GET /info': { OSType: 'linux' },
      [`GET /containers/${ID}/json`]: [inspect, away()],
      [`POST /containers/${ID}/unpause`]: engineError(500, 'unpause failed'),
    });
    const resume = await gone.driver.resumeContainer(ID).catch((e) => e);
    expect(resume.message).toBe('unpause failed');
    expect(resume).not.toBeInstanceOf(NetworkError);
  });
});
