import { mkdir, readFile, rmdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CONTRACT_VERSION,
  ConfigurationError,
  ConflictError,
  ContainerNotFoundError,
  ContainerRemoveError,
  ContainerStartError,
  createDriver,
  isDriverError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { berthDrivers, LocalDriver } from '../src/index.js';
import { eventually, makeDriver, shell, tempDir } from './helpers.js';

describe('LocalDriver lifecycle', () => {
  it('runs a process through create, start, wait, logs and remove', async () => {
    const driver = await makeDriver();
    const created = await driver.createContainer(
      shell('echo "hello $GREETING"; echo oops >&2; exit 3', {
        env: { GREETING: 'world' },
        labels: { app: 'demo' },
        name: 'greeter',
      }),
    );
    expect(created).toMatchObject({
      name: 'greeter',
      status: 'created',
      state: 'terminated',
      driver: 'local',
      image: 'host',
      endpoint: null,
      labels: { app: 'demo', 'berth.session': 'test' },
    });

    await driver.startContainer(created.id);
    await expect(driver.waitContainer(created.id)).resolves.toEqual({
      exitCode: 3,
      oomKilled: false,
    });
    const ended = await driver.getContainer(created.id);
    expect(ended).toMatchObject({ status: 'exited', state: 'terminated', exitCode: 3 });
    expect(ended?.finishedAt).toBeInstanceOf(Date);

    expect(await driver.getContainerLogs(created.id)).toBe('hello world\noops\n');
    expect(await driver.getContainerLogs(created.id, { stderr: false })).toBe('hello world\n');
    expect(await driver.getContainerLogs(created.id, { stdout: false })).toBe('oops\n');
    expect(await driver.getContainerLogs(created.id, { tail: 1 })).toBe('oops\n');
    const stamped = await driver.getContainerLogs(created.id, { timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z hello world\n/);

    await driver.removeContainer(created.id);
    expect(await driver.getContainer(created.id)).toBeNull();
  });

  it('keeps stdout and stderr in separate files, one timestamped record per line', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('echo one; echo two >&2; printf "no newline"'));
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    const dir = join(driver.stateDir, 'containers', c.id);
    const stdout = await readFile(join(dir, 'stdout.log'), 'utf8');
    const stderr = await readFile(join(dir, 'stderr.log'), 'utf8');
    expect(stdout).toMatch(/^\S{30} one\n\S{30} no newline\n$/);
    expect(stderr).toMatch(/^\S{30} two\n$/);
    const state = JSON.parse(await readFile(join(dir, 'container.json'), 'utf8'));
    expect(state.config.command).toEqual([
      'sh',
      '-c',
      'echo one; echo two >&2; printf "no newline"',
    ]);
    const run = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
    expect(run.pid).toBeGreaterThan(0);
    const exit = JSON.parse(await readFile(join(dir, 'exit.json'), 'utf8'));
    expect(exit).toMatchObject({ exitCode: 0, run: 1 });
  });

  it('streams logs, following until the container exits', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('echo a; sleep 0.3; echo b >&2; sleep 0.3; echo c'),
    );
    await driver.startContainer(c.id);
    const lines: string[] = [];
    for await (const line of driver.streamLogs(c.id, { follow: true })) {
      expect(line.timestamp).toBeInstanceOf(Date);
      lines.push(`${line.stream}:${line.line}`);
    }
    expect(lines).toEqual(['stdout:a', 'stderr:b', 'stdout:c']);
    expect((await driver.getContainer(c.id))?.status).toBe('exited');
  });

  it('reports stopped after stopContainer and exited when the process ends by itself', async () => {
    const driver = await makeDriver();
    const long = await driver.createContainer(shell('sleep 60'));
    await driver.startContainer(long.id);
    expect((await driver.getContainer(long.id))?.status).toBe('running');
    await driver.stopContainer(long.id, { timeout: 5 });
    expect(await driver.getContainer(long.id)).toMatchObject({
      status: 'stopped',
      state: 'terminated',
    });
    const short = await driver.createContainer(shell('true'));
    await driver.startContainer(short.id);
    await driver.waitContainer(short.id);
    expect((await driver.getContainer(short.id))?.status).toBe('exited');
  });

  it('treats start of a running and stop of a stopped container as no-ops', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('echo started; sleep 60'));
    await driver.stopContainer(c.id); // never started: nothing to do
    await driver.startContainer(c.id);
    await eventually(
      "driver.getContainerLogs(c.id) === 'started\n'",
      () => driver.getContainerLogs(c.id),
      (seen) => seen === 'started\n',
    );
    const first = await driver.getContainer(c.id);
    await driver.startContainer(c.id);
    expect((await driver.getContainer(c.id))?.startedAt).toEqual(first?.startedAt);
    await driver.stopContainer(c.id, { timeout: 1 });
    await driver.stopContainer(c.id, { timeout: 1 });
    expect((await driver.getContainer(c.id))?.status).toBe('stopped');
    expect(await driver.getContainerLogs(c.id)).toBe('started\n');
  });

  it('restarts, appending to the same logs', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('echo run'));
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    await driver.restartContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id)).toBe('run\nrun\nrun\n');
  });

  it('numbers each start one past the latest recorded run', async () => {
    const stateDir = await tempDir('runs-');
    const driver = await makeDriver({ stateDir });
    const c = await driver.createContainer(shell('sleep 60'));
    const dir = join(stateDir, 'containers', c.id);
    const runOf = async () => JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')).run;
    await driver.startContainer(c.id);
    expect(await runOf()).toBe(1);
    await driver.stopContainer(c.id, { timeout: 1 });
    await driver.startContainer(c.id);
    // The first run's stop record does not make the second one look stopped.
    expect(await runOf()).toBe(2);
    expect((await driver.getContainer(c.id))?.status).toBe('running');
    await driver.stopContainer(c.id, { force: true });
    // A container.json from an earlier version counted starts itself.
    const record = JSON.parse(await readFile(join(dir, 'container.json'), 'utf8'));
    await writeFile(join(dir, 'container.json'), JSON.stringify({ ...record, run: 7 }));
    await driver.startContainer(c.id);
    expect(await runOf()).toBe(8);
    await driver.stopContainer(c.id, { force: true });
    expect((await driver.getContainer(c.id))?.status).toBe('stopped');
  });

  it('leaves no exit record for a run whose run record could not be written', async () => {
    const stateDir = await tempDir('norecord-');
    // Without cgroups: the failed run's supervisor removes the container's cgroup once it has
    // cleaned up, which can race a new start that made the same cgroup again.
    const driver = await makeDriver({
      stateDir,
      isolation: { cgroups: false },
      enforcement: 'best-effort',
    });
    const c = await driver.createContainer(shell('sleep 0.2; exit 3'));
    // A directory where run.json goes: the supervisor cannot record the run, and kills it.
    const runFile = join(stateDir, 'containers', c.id, 'run.json');
    await mkdir(runFile);
    await expect(driver.startContainer(c.id)).rejects.toBeInstanceOf(ContainerStartError);
    await rmdir(runFile);
    expect((await driver.getContainer(c.id))?.status).toBe('created');
    // Nothing of the failed run may pass for the next one.
    await driver.startContainer(c.id);
    expect(await driver.waitContainer(c.id)).toEqual({ exitCode: 3, oomKilled: false });
    const run = JSON.parse(await readFile(join(stateDir, 'containers', c.id, 'run.json'), 'utf8'));
    expect(run.run).toBe(2);
  });

  it('refuses to remove a running container unless forced', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('sleep 60'));
    await driver.startContainer(c.id);
    const error = await driver.removeContainer(c.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRemoveError);
    expect((await driver.getContainer(c.id))?.status).toBe('running');
    await driver.removeContainer(c.id, { force: true });
    expect(await driver.getContainer(c.id)).toBeNull();
  });

  it('throws ContainerNotFoundError for unknown ids, and getContainer returns null', async () => {
    const driver = await makeDriver();
    const missing = 'ffffffffffffffffffffffffffffffff';
    expect(await driver.getContainer(missing)).toBeNull();
    const calls = [
      () => driver.startContainer(missing),
      () => driver.stopContainer(missing),
      () => driver.restartContainer(missing),
      () => driver.removeContainer(missing),
      () => driver.getContainerLogs(missing),
      () => driver.waitContainer(missing),
      () => driver.exec(missing, ['true']),
      () => driver.getContainerStats(missing),
      () => driver.isContainerHealthy(missing),
      async () => {
        for await (const _ of driver.streamLogs(missing)) break;
      },
    ];
    for (const call of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ContainerNotFoundError);
      expect(isDriverError(error) && error.retryable).toBe(false);
    }
  });

  it('validates before creating anything and fails closed', async () => {
    const driver = await makeDriver();
    const bad = await driver
      .createContainer({ sessionId: '', image: 'host', command: ['true'], resources: { cpu: -1 } })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigurationError);
    expect((bad as ConfigurationError).issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['sessionId', 'resources.cpu']),
    );
    const noCommand = await driver
      .createContainer({ sessionId: 's', image: 'host' })
      .catch((e: unknown) => e);
    expect(noCommand).toBeInstanceOf(ConfigurationError);
    expect(await driver.listContainers()).toEqual([]);
  });

  it('fails to start a program that does not exist, and says it is not retryable', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer({
      sessionId: 's',
      image: 'host',
      command: ['definitely-not-a-program-berth'],
    });
    const error = await driver.startContainer(c.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerStartError);
    expect((error as ContainerStartError).retryable).toBe(false);
    expect((await driver.getContainer(c.id))?.status).toBe('created');
  });

  it('passes arguments verbatim, never through a shell', async () => {
    const driver = await makeDriver();
    const tricky = '$(touch /tmp/pwned); `id`; echo "quoted" && false';
    const c = await driver.createContainer({
      sessionId: 's',
      image: 'host',
      command: ['printf', '%s\\n', tricky],
    });
    await driver.startContainer(c.id);
    expect(await driver.waitContainer(c.id)).toEqual({ exitCode: 0, oomKilled: false });
    expect(await driver.getContainerLogs(c.id)).toBe(`${tricky}\n`);
  });

  it('gives the process only its own environment, a working directory and labels', async () => {
    process.env.BERTH_TEST_SECRET = 'leaked';
    const driver = await makeDriver({ inheritEnv: ['BERTH_TEST_INHERITED'] });
    process.env.BERTH_TEST_INHERITED = 'passed';
    try {
      const c = await driver.createContainer(
        shell(
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
          'echo "secret=${BERTH_TEST_SECRET:-none} inherited=$BERTH_TEST_INHERITED own=$OWN"; pwd; echo ok > file; cat file',
          {
            env: { OWN: 'mine' },
          },
        ),
      );
      await driver.startContainer(c.id);
      await driver.waitContainer(c.id);
      const [env, cwd, written] = (await driver.getContainerLogs(c.id)).trim().split('\n');
      expect(env).toBe('secret=none inherited=passed own=mine');
      expect(cwd).toBe(join(driver.stateDir, 'containers', c.id, 'work'));
      expect(written).toBe('ok');
    } finally {
      delete process.env.BERTH_TEST_SECRET;
      delete process.env.BERTH_TEST_INHERITED;
    }
  });

  it('uses the configured working directory', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('pwd', { workingDir: '/usr' }));
    await driver.startContainer(c.id);
    await driver.waitContainer(c.id);
    expect(await driver.getContainerLogs(c.id)).toBe('/usr\n');
  });

  it('lists and filters by session, status, state and label, and finds by name', async () => {
    const driver = await makeDriver();
    const a = await driver.createContainer(
      shell('sleep 60', { sessionId: 'a', labels: { role: 'db' } }),
    );
    const b = await driver.createContainer(shell('true', { sessionId: 'b', name: 'bee' }));
    await driver.startContainer(a.id);
    const ids = (list: { id: string }[]) => list.map((c) => c.id);
    expect(ids(await driver.listContainers())).toEqual([a.id, b.id]);
    expect(ids(await driver.listContainers({ sessionId: 'b' }))).toEqual([b.id]);
    expect(ids(await driver.listContainers({ status: 'running' }))).toEqual([a.id]);
    expect(ids(await driver.listContainers({ state: ['terminated'] }))).toEqual([b.id]);
    expect(ids(await driver.listContainers({ label: { role: 'db' } }))).toEqual([a.id]);
    expect(ids(await driver.listContainers({ label: { role: true } }))).toEqual([a.id]);
    expect(ids(await driver.listContainers({ label: { role: 'web' } }))).toEqual([]);
    expect((await driver.getContainer('bee'))?.id).toBe(b.id);
    await expect(driver.createContainer(shell('true', { name: 'bee' }))).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('cleans up everything a session left behind', async () => {
    const driver = await makeDriver();
    const network = await driver.createNetwork({ name: 'net-a', sessionId: 'gone' });
    const c = await driver.createContainer(
      shell('sleep 60', {
        sessionId: 'gone',
        network: network.name,
        volumes: [{ source: 'data-a', target: '/data' }],
      }),
    );
    const keep = await driver.createContainer(shell('true', { sessionId: 'kept' }));
    await driver.startContainer(c.id);
    const result = await driver.cleanup({ sessionId: 'gone' });
    expect(result).toEqual({ containers: 1, volumes: 1, networks: 1 });
    expect((await driver.listContainers()).map((x) => x.id)).toEqual([keep.id]);
    expect(await driver.listVolumes()).toEqual([]);
    expect(await driver.listNetworks()).toEqual([]);
  });

  it('is what createDriver("local") makes, with the contract version', async () => {
    expect(Object.keys(berthDrivers)).toEqual(['local']);
    // An application directory with this package installed, as the registry expects to find it.
    const app = await tempDir('app-');
    await mkdir(join(app, 'node_modules', '@berth'), { recursive: true });
    await symlink(
      join(import.meta.dirname, '..'),
      join(app, 'node_modules', '@berth', 'driver-local'),
    );
    const stateDir = await tempDir();
    // A misspelt option is refused, not ignored, and (with this package's types loaded) a type
    // error too.
    const typo = await createDriver(
      'local',
      {
        // @ts-expect-error -- 'statedir' is not an option of the local driver; 'stateDir' is.
        statedir: stateDir,
      },
      { resolveFrom: app },
    ).catch((e) => e);
    expect(typo).toBeInstanceOf(ConfigurationError);
    expect(typo.message).toContain("'statedir' (did you mean 'stateDir'?)");
    const driver = await createDriver('local', { stateDir }, { resolveFrom: app });
    try {
      expect(driver.constructor.name).toBe(LocalDriver.name);
      expect(driver.name).toBe('local');
      expect(driver.contractVersion).toBe(CONTRACT_VERSION);
      expect(await driver.healthCheck()).toMatchObject({
        status: 'healthy',
        containers: { total: 0, running: 0, stopped: 0 },
      });
    } finally {
      await (driver as LocalDriver).close();
    }
  });
});
