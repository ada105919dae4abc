import {
  ConflictError,
  ContainerRemoveError,
  ContainerStartError,
  LogLinesLostError,
  ResourceLimitError,
  UnsupportedFeatureError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { ManualClock, MockDockerDriver, MockLocalDriver } from '../src/index.js';
import { eventually } from './support.js';

const base = { sessionId: 's', image: 'busybox' };

describe('characteristics', () => {
  it('mock-docker allows up to 4.0 CPU, mock-local up to 2.0', async () => {
    const docker = new MockDockerDriver();
    const local = new MockLocalDriver();
    expect(docker.name).toBe('mock-docker');
    expect(local.name).toBe('mock-local');
    await expect(docker.createContainer({ ...base, resources: { cpu: 4 } })).resolves.toBeTruthy();
    const tooMuch = await docker
      .createContainer({ ...base, resources: { cpu: 4.5 } })
      .catch((e) => e);
    expect(tooMuch).toBeInstanceOf(ResourceLimitError);
    expect(tooMuch).toMatchObject({ resource: 'cpu', limit: 4, requested: 4.5 });
    await expect(local.createContainer({ ...base, resources: { cpu: 2 } })).resolves.toBeTruthy();
    await expect(local.createContainer({ ...base, resources: { cpu: 2.5 } })).rejects.toMatchObject(
      {
        limit: 2,
      },
    );
  });

  it('a container with no program runs until stopped, prints nothing and is healthy', async () => {
    const driver = new MockDockerDriver();
    const c = await driver.createContainer(base);
    await driver.startContainer(c.id);
    expect(await driver.isContainerHealthy(c.id)).toBe(true);
    expect(await driver.getContainerLogs(c.id)).toBe('');
    expect((await driver.getContainer(c.id))?.status).toBe('running');
  });

  it('simulates a host enforcing every limit, disk included, unless told otherwise', async () => {
    const strong = new MockDockerDriver();
    expect(await strong.capabilities()).toMatchObject({ disk: true, readOnlyRootfs: true });
    await expect(
      strong.createContainer({ ...base, resources: { disk: 100 } }),
    ).resolves.toBeTruthy();
    const weak = new MockDockerDriver({ capabilities: { disk: false } });
    const error = await weak.createContainer({ ...base, resources: { disk: 100 } }).catch((e) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(await weak.listContainers()).toEqual([]);
    const lenient = new MockDockerDriver({
      capabilities: { disk: false },
      enforcement: 'best-effort',
    });
    const c = await lenient.createContainer({ ...base, resources: { disk: 100 } });
    expect(c.unenforced).toEqual([{ feature: 'disk', path: 'resources.disk' }]);
  });
});

describe('error patterns (see the README table)', () => {
  it('status after a stop: exited for mock-docker, stopped for mock-local', async () => {
    for (const [driver, status] of [
      [new MockDockerDriver(), 'exited'],
      [new MockLocalDriver(), 'stopped'],
    ] as const) {
      const c = await driver.createContainer(base);
      await driver.startContainer(c.id);
      await driver.stopContainer(c.id);
      expect(await driver.getContainer(c.id)).toMatchObject({ status, exitCode: 143 });
    }
  });

  it("removing a running container: refused by both, each in its real driver's words", async () => {
    const messages: string[] = [];
    for (const driver of [new MockDockerDriver(), new MockLocalDriver()]) {
      const c = await driver.createContainer(base);
      await driver.startContainer(c.id);
      const error = await driver.removeContainer(c.id).catch((e) => e);
      expect(error).toBeInstanceOf(ContainerRemoveError);
      expect(error.retryable).toBe(false);
      expect((await driver.getContainer(c.id))?.status).toBe('running');
      messages.push(error.message);
    }
    expect(messages[0]).toMatch(/You cannot remove a running container/);
    expect(messages[1]).toMatch(/it is running; stop it first or remove with \{ force: true \}/);
  });

  it('stopping with a too-short timeout: SIGKILL once it passes (exit 137), status per driver', async () => {
    const programs = { images: { slow: { stopGraceMs: 5_000 } } };
    for (const [Driver, status] of [
      [MockDockerDriver, 'exited'],
      [MockLocalDriver, 'stopped'],
    ] as const) {
      const clock = new ManualClock();
      const driver = new Driver({ clock, programs });
      const c = await driver.createContainer({ ...base, image: 'slow' });
      await driver.startContainer(c.id);
      const stopping = driver.stopContainer(c.id, { timeout: 1 });
      await clock.advance(999);
      expect((await driver.getContainer(c.id))?.status).toBe('running');
      await clock.advance(1);
      await stopping;
      expect(await driver.getContainer(c.id)).toMatchObject({ status, exitCode: 137 });
      expect(await driver.waitContainer(c.id)).toEqual({ exitCode: 137, oomKilled: false });
    }
  });

  it("name conflicts are ConflictError for both, in each one's words", async () => {
    const messages: string[] = [];
    for (const driver of [new MockDockerDriver(), new MockLocalDriver()]) {
      await driver.createContainer({ ...base, name: 'web' });
      const error = await driver.createContainer({ ...base, name: 'web' }).catch((e) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.retryable).toBe(false);
      messages.push(error.message);
    }
    expect(messages[0]).toMatch(/The container name "\/web" is already in use/);
    expect(messages[1]).toBe("A container named 'web' already exists");
  });

  it('named volumes: a missing one is made on use, and a second create returns the first', async () => {
    const mount = { volumes: [{ source: 'cache', target: '/cache' }] };
    for (const driver of [new MockDockerDriver(), new MockLocalDriver()]) {
      await driver.createContainer({ ...base, ...mount });
      expect((await driver.listVolumes()).map((v) => v.name)).toEqual(['cache']);
      const again = await driver.createVolume({ name: 'cache' });
      expect(again.name).toBe('cache');
      expect(await driver.listVolumes()).toHaveLength(1);
    }
  });

  it('a network name already taken is a ConflictError for both', async () => {
    for (const driver of [new MockDockerDriver(), new MockLocalDriver()]) {
      // Not internal: mock-local's networks are logical, and an internal one fails closed.
      await driver.createNetwork({ name: 'backend', internal: false });
      await expect(
        driver.createNetwork({ name: 'backend', internal: false }),
      ).rejects.toBeInstanceOf(ConflictError);
    }
  });

  it('mock-local refuses an internal network under strict enforcement, as the local driver does without namespaces', async () => {
    await expect(new MockLocalDriver().createNetwork({ name: 'inner' })).rejects.toBeInstanceOf(
      UnsupportedFeatureError,
    );
    const lenient = new MockLocalDriver({ enforcement: 'best-effort' });
    const network = await lenient.createNetwork({ name: 'inner' });
    expect(network.unenforced?.map((u) => u.path)).toEqual(['internal']);
  });

  it("ids and default names look like the real drivers' ones", async () => {
    const docker = await new MockDockerDriver().createContainer(base);
    const local = await new MockLocalDriver().createContainer(base);
    expect(docker.id).toMatch(/^[0-9a-f]{64}$/);
    expect(local.id).toMatch(/^[0-9a-f]{32}$/);
    expect(local.name).toBe(`berth-${local.id.slice(0, 12)}`);
  });

  it('an executable that does not exist: create works, start fails and is not retryable', async () => {
    const driver = new MockDockerDriver();
    const c = await driver.createContainer({ ...base, command: ['no-such-binary', '--flag'] });
    const error = await driver.startContainer(c.id).catch((e) => e);
    expect(error).toBeInstanceOf(ContainerStartError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/no-such-binary/);
  });

  it('exec on a container that is not running is a ConflictError', async () => {
    const driver = new MockLocalDriver();
    const c = await driver.createContainer(base);
    await expect(driver.exec(c.id, ['true'])).rejects.toBeInstanceOf(ConflictError);
  });

  it('ports publish on loopback with an endpoint; a taken host port conflicts', async () => {
    const driver = new MockDockerDriver();
    const c = await driver.createContainer({ ...base, ports: [{ container: 80, host: 8080 }] });
    expect(c.endpoint).toBe('127.0.0.1:8080');
    const auto = await driver.createContainer({ ...base, ports: [{ container: 80 }] });
    expect(auto.ports[0]?.host).toBeGreaterThanOrEqual(32768);
    await expect(
      driver.createContainer({ ...base, ports: [{ container: 81, host: 8080 }] }),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('declared programs', () => {
  it('per image and per command: output, exit code, run time', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({
      clock,
      programs: {
        images: { 'job:1': { stdout: ['working'], stderr: ['warn'], runMs: 2_000, exitCode: 2 } },
        commands: { 'node server.js': { stdout: ['listening'] } },
      },
    });
    const job = await driver.createContainer({ ...base, image: 'job:1' });
    const server = await driver.createContainer({ ...base, command: ['node', 'server.js'] });
    await driver.startContainer(job.id);
    await driver.startContainer(server.id);
    const waiting = driver.waitContainer(job.id);
    await clock.advance(2_000);
    expect(await waiting).toEqual({ exitCode: 2, oomKilled: false });
    expect(await driver.getContainerLogs(job.id, { stderr: false })).toBe('working\n');
    expect(await driver.getContainerLogs(job.id, { stdout: false })).toBe('warn\n');
    expect(await driver.getContainerLogs(server.id)).toBe('listening\n');
    expect((await driver.getContainer(server.id))?.status).toBe('running');
  });

  it('a health sequence is followed probe by probe, the last value repeating', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({
      clock,
      programs: { images: { flaky: { health: [true, false, true] } } },
    });
    const c = await driver.createContainer({
      ...base,
      image: 'flaky',
      healthcheck: { command: ['true'], intervalMs: 1_000, retries: 1 },
    });
    await driver.startContainer(c.id);
    const seen: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      await clock.advance(0);
      seen.push(await driver.isContainerHealthy(c.id));
      await clock.advance(1_000);
    }
    expect(seen).toEqual([true, false, true, true]);
  });

  it('retries failing probes in a row before unhealthy', async () => {
    const clock = new ManualClock();
    const driver = new MockDockerDriver({ clock });
    const c = await driver.createContainer({
      ...base,
      healthcheck: { command: ['false'], intervalMs: 1_000, retries: 3 },
    });
    await driver.startContainer(c.id);
    await clock.advance(0);
    expect((await driver.getContainer(c.id))?.health).toBe('starting');
    await clock.advance(2_000);
    expect((await driver.getContainer(c.id))?.health).toBe('unhealthy');
    expect(await driver.isContainerHealthy(c.id)).toBe(false);
  });

  it('declared exec results, and interpreted ones', async () => {
    const driver = new MockLocalDriver({
      programs: {
        images: { db: { exec: { 'pg_isready -q': { exitCode: 0, stdout: 'accepting\n' } } } },
      },
    });
    const c = await driver.createContainer({ ...base, image: 'db', env: { WHO: 'db' } });
    await driver.startContainer(c.id);
    expect(await driver.exec(c.id, ['pg_isready', '-q'])).toEqual({
      exitCode: 0,
      stdout: 'accepting\n',
      stderr: '',
    });
    expect(
      await driver.exec(c.id, ['sh', '-c', 'echo "$WHO says hi" && false && echo never']),
    ).toEqual({
      exitCode: 1,
      stdout: 'db says hi\n',
      stderr: '',
    });
    expect(await driver.exec(c.id, ['sh', '-c', 'frobnicate'])).toMatchObject({
      exitCode: 127,
      stderr: 'sh: frobnicate: not found\n',
    });
    expect((await driver.exec(c.id, ['frobnicate'])).exitCode).toBe(127);
  });

  it('memory above the limit is OOM-killed; stats stay within limits', async () => {
    const driver = new MockDockerDriver({
      programs: {
        images: { hog: { memoryMb: 900 }, busy: { memoryMb: 100, cpuPercent: 350, pids: 500 } },
      },
    });
    const hog = await driver.createContainer({ ...base, image: 'hog', resources: { memory: 256 } });
    await driver.startContainer(hog.id);
    expect(await driver.waitContainer(hog.id)).toEqual({ exitCode: 137, oomKilled: true });

    const busy = await driver.createContainer({
      ...base,
      image: 'busy',
      resources: { cpu: 2, pids: 50 },
    });
    await driver.startContainer(busy.id);
    expect(await driver.getContainerStats(busy.id)).toEqual({
      cpuPercent: 200,
      memoryBytes: 100 * 1024 * 1024,
      memoryLimitBytes: 512 * 1024 * 1024,
      pids: 50,
    });
  });
});

describe('log rotation', () => {
  it('a follower that had not read the lines rotateLogs dropped gets LogLinesLostError', async () => {
    const driver = new MockDockerDriver();
    const c = await driver.createContainer({
      ...base,
      command: ['sh', '-c', 'sleep 0.05; echo one; echo two; echo three; sleep 60'],
    });
    await driver.startContainer(c.id);
    const seen: string[] = [];
    const outcome = await (async () => {
      // Followed from before the first line, so every line comes through the follow.
      for await (const { line } of driver.streamLogs(c.id, { follow: true })) {
        seen.push(line);
        // Read one line, then the log rotates away the two this follower has not read.
        if (seen.length === 1) {
          await eventually(
            'all three lines logged (the logs)',
            () => driver.getContainerLogs(c.id),
            (logs) => logs === 'one\ntwo\nthree\n',
          );
          expect(driver.rotateLogs(c.id, 0)).toBe(3);
        }
      }
    })().catch((error: unknown) => error);
    expect(seen).toEqual(['one']);
    expect(outcome).toBeInstanceOf(LogLinesLostError);
    expect(outcome).toMatchObject({ code: 'LOG_LINES_LOST', containerId: c.id });
    // A follower that had read everything just goes on.
    const calm = await driver.createContainer({ ...base, command: ['sh', '-c', 'echo a; exit 0'] });
    await driver.startContainer(calm.id);
    await driver.waitContainer(calm.id);
    driver.rotateLogs(calm.id, 1);
    const rest: string[] = [];
    for await (const { line } of driver.streamLogs(calm.id, { follow: true })) rest.push(line);
    expect(rest).toEqual(['a']);
  });
});
