import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, UnsupportedFeatureError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import type { LocalDriver } from '../src/index.js';
import { eventually, isAlive, makeDriver, shell } from './helpers.js';

/*
 * signalContainer, pauseContainer and resumeContainer against real processes and cgroups: what
 * a paused container's processes do (nothing), what the host shows of it, and what a container
 * can do about being paused (nothing either).
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Appends an increasing number to `count` in its work directory every 100 ms. */
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i >> count; sleep 0.1; done';

/** Prints `got-<SIG>` for each signal named, keeps running; a trapped signal interrupts `wait`. */
const trapping = (...signals: string[]) =>
  `${signals.map((s) => `trap 'echo got-${s}' ${s}; `).join('')}echo ready; while :; do sleep 600 & wait; done`;

interface RunCgroup {
  version: 1 | 2;
  dirs: Record<string, string>;
}

function runCgroup(driver: LocalDriver, id: string): RunCgroup {
  const run = JSON.parse(readFileSync(join(driver.stateDir, 'containers', id, 'run.json'), 'utf8'));
  const group = run.meta.cgroup as RunCgroup | undefined;
  if (!group) throw new Error(`container ${id} has no cgroup: ${JSON.stringify(run.meta)}`);
  return group;
}

/** The last number the counter wrote, read from the host. */
function counted(driver: LocalDriver, id: string): number {
  try {
    const text = readFileSync(join(driver.stateDir, 'containers', id, 'work', 'count'), 'utf8');
    return Number(text.trim().split('\n').at(-1) ?? 0);
  } catch {
    return 0;
  }
}

/** What the kernel says of the container's freezer: frozen or not. */
function kernelFrozen(group: RunCgroup): boolean {
  const dir = group.dirs.freezer as string;
  if (group.version === 1)
    return readFileSync(join(dir, 'freezer.state'), 'utf8').trim() === 'FROZEN';
  return /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
}

function members(group: RunCgroup): number[] {
  const dir = group.dirs.pids ?? group.dirs.memory ?? group.dirs.cpu;
  return readFileSync(join(dir as string, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

async function logs(driver: LocalDriver, id: string): Promise<string> {
  return driver.getContainerLogs(id);
}

function startedWarm(driver: LocalDriver, id: string): boolean {
  const run = JSON.parse(readFileSync(join(driver.stateDir, 'containers', id, 'run.json'), 'utf8'));
  return run.meta.warm === true;
}

async function started(driver: LocalDriver, script: string): Promise<string> {
  const { id } = await driver.createContainer(shell(script));
  await driver.startContainer(id);
  return id;
}

/**
 * Starts `script` on the path asked for: the program exec'd by a warm sandbox's stub, or the
 * chain built on start (a chosen name never takes a warm sandbox).
 */
async function startedOn(
  driver: LocalDriver,
  path: 'warm' | 'cold',
  script: string,
): Promise<string> {
  if (path === 'cold') {
    const { id } = await driver.createContainer(shell(script, { name: `cold-${Date.now()}` }));
    await driver.startContainer(id);
    expect(startedWarm(driver, id)).toBe(false);
    return id;
  }
  const made = await eventually(
    'a container to start in a warm sandbox (the last one tried)',
    async () => {
      const id = await started(driver, script);
      const warm = startedWarm(driver, id);
      if (!warm) {
        await driver.removeContainer(id, { force: true });
        await sleep(50);
      }
      return { id, warm };
    },
    (tried) => tried.warm,
  );
  return made.id;
}

describe('pause and resume', () => {
  it('freezes every process until resume: a counter stops, exec is refused at once', async () => {
    const driver = await makeDriver();
    const id = await started(driver, COUNTER);
    await eventually(
      'counted(driver, id) >= 3',
      () => counted(driver, id),
      (seen) => seen >= 3,
    );
    await driver.pauseContainer(id);
    expect((await driver.getContainer(id))?.status).toBe('paused');
    const group = runCgroup(driver, id);
    expect(kernelFrozen(group), 'the cgroup freezer holds it').toBe(true);
    const frozen = counted(driver, id);
    await sleep(1000);
    expect(counted(driver, id), 'no number written for a second').toBe(frozen);

    const began = Date.now();
    const exec = await driver.exec(id, ['true']).catch((e: unknown) => e);
    expect(exec).toBeInstanceOf(ConflictError);
    expect(String((exec as Error).message)).toMatch(/resumeContainer/);
    expect(Date.now() - began, 'refused, not left hanging in the frozen cgroup').toBeLessThan(1000);

    const stats = await driver.getContainerStats(id);
    expect(stats.pids, 'its processes are all still there').toBeGreaterThan(0);
    expect(counted(driver, id)).toBe(frozen);

    await driver.resumeContainer(id);
    expect((await driver.getContainer(id))?.status).toBe('running');
    expect(kernelFrozen(group)).toBe(false);
    await eventually(
      'counted(driver, id) >= frozen + 3',
      () => counted(driver, id),
      (seen) => seen >= frozen + 3,
    );
    expect((await driver.exec(id, ['true'])).exitCode).toBe(0);
  });

  it('is seen as paused by another driver on the same stateDir, which can resume it', async () => {
    const first = await makeDriver();
    const second = await makeDriver({ stateDir: first.stateDir });
    const id = await started(first, COUNTER);
    await eventually(
      'counted(first, id) >= 2',
      () => counted(first, id),
      (seen) => seen >= 2,
    );
    await first.pauseContainer(id);
    expect((await second.getContainer(id))?.status).toBe('paused');
    expect((await second.listContainers({ status: 'paused' })).map((c) => c.id)).toEqual([id]);
    expect(await second.listContainers({ status: 'running' })).toEqual([]);
    const exec = await second.exec(id, ['true']).catch((e: unknown) => e);
    expect(exec).toBeInstanceOf(ConflictError);
    await second.resumeContainer(id);
    expect((await first.getContainer(id))?.status).toBe('running');
    const now = counted(first, id);
    await eventually(
      'counted(first, id) > now',
      () => counted(first, id),
      (seen) => seen > now,
    );
  });

  it('stops a paused container within its timeout, its program handling SIGTERM', async () => {
    const driver = await makeDriver();
    const id = await started(driver, `trap 'echo got-TERM; exit 3' TERM; ${trapping()}`);
    await eventually(
      "logs(driver, id).includes('ready')",
      () => logs(driver, id),
      (seen) => seen.includes('ready'),
    );
    await driver.pauseContainer(id);
    const group = runCgroup(driver, id);
    const pids = members(group);
    expect(pids.length).toBeGreaterThan(0);
    const began = Date.now();
    await driver.stopContainer(id, { timeout: 10 });
    expect(
      Date.now() - began,
      'thawed to take its SIGTERM, not killed at the timeout',
    ).toBeLessThan(5000);
    expect(await driver.getContainer(id)).toMatchObject({ status: 'stopped', exitCode: 3 });
    expect(await logs(driver, id)).toContain('got-TERM');
    await eventually(
      "the paused container's processes gone (those alive)",
      () => pids.filter(isAlive),
      (alive) => alive.length === 0,
    );
    await eventually(
      'its cgroup directories removed (those left)',
      () => Object.values(group.dirs).filter((dir) => existsSync(dir)),
      (left) => left.length === 0,
    );
  });

  it('force-removes a paused container, leaving no process and no cgroup', async () => {
    const driver = await makeDriver();
    const id = await started(driver, COUNTER);
    await eventually(
      'counted(driver, id) >= 2',
      () => counted(driver, id),
      (seen) => seen >= 2,
    );
    await driver.pauseContainer(id);
    const group = runCgroup(driver, id);
    expect(group.dirs.freezer, 'a freezer group of its own').toBeDefined();
    const pids = members(group);
    await driver.removeContainer(id, { force: true });
    expect(await driver.getContainer(id)).toBeNull();
    await eventually(
      "the paused container's processes gone (those alive)",
      () => pids.filter(isAlive),
      (alive) => alive.length === 0,
    );
    await eventually(
      'its cgroup directories removed (those left)',
      () => Object.values(group.dirs).filter((dir) => existsSync(dir)),
      (left) => left.length === 0,
    );
  });

  it('keeps waitContainer waiting while paused, and ends it at the stop', async () => {
    const driver = await makeDriver();
    const id = await started(driver, COUNTER);
    await driver.pauseContainer(id);
    const waiting = driver.waitContainer(id);
    const early = await Promise.race([
      waiting.then(() => 'ended'),
      sleep(600).then(() => 'waiting'),
    ]);
    expect(early, 'a paused container has not ended').toBe('waiting');
    await driver.stopContainer(id, { timeout: 2 });
    expect((await waiting).exitCode).toBe(143);
  });

  it('refuses what needs another status: start of a paused one, pause or resume of one not running', async () => {
    const driver = await makeDriver();
    const { id } = await driver.createContainer(shell(COUNTER));
    await expect(driver.pauseContainer(id)).rejects.toBeInstanceOf(ConflictError);
    await expect(driver.resumeContainer(id)).rejects.toBeInstanceOf(ConflictError);
    await driver.startContainer(id);
    await driver.pauseContainer(id);
    await driver.pauseContainer(id);
    const start = await driver.startContainer(id).catch((e: unknown) => e);
    expect(start).toBeInstanceOf(ConflictError);
    expect(String((start as Error).message)).toMatch(/resume/);
    const removal = await driver.removeContainer(id).catch((e: unknown) => e);
    expect(String((removal as Error).message)).toMatch(/paused/);
    expect((await driver.getContainer(id))?.status).toBe('paused');
    await driver.resumeContainer(id);
    await driver.resumeContainer(id);
    await driver.stopContainer(id, { timeout: 2 });
    await expect(driver.pauseContainer(id)).rejects.toBeInstanceOf(ConflictError);
    await expect(driver.resumeContainer(id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('restarts a paused container', async () => {
    const driver = await makeDriver();
    const id = await started(driver, COUNTER);
    await driver.pauseContainer(id);
    const before = runCgroup(driver, id);
    await driver.restartContainer(id, { timeout: 2 });
    expect((await driver.getContainer(id))?.status).toBe('running');
    const after = runCgroup(driver, id);
    expect(after.dirs.freezer).not.toBe(before.dirs.freezer);
    expect(kernelFrozen(after)).toBe(false);
  });

  it('freezes a fork loop every time: a task forked while it freezes is not missed', async () => {
    const driver = await makeDriver();
    const id = await started(driver, 'while :; do /bin/true; done');
    const group = runCgroup(driver, id);
    for (let round = 0; round < 300; round++) {
      const began = Date.now();
      await driver.pauseContainer(id);
      expect(Date.now() - began, `pause ${round} took long`).toBeLessThan(3000);
      expect(kernelFrozen(group)).toBe(true);
      await driver.resumeContainer(id);
    }
  }, 120_000);

  it('pauses a container started in a warm sandbox, whose group was made ahead of it', async () => {
    const driver = await makeDriver();
    const id = await startedOn(driver, 'warm', COUNTER);
    await eventually(
      'counted(driver, id) >= 2',
      () => counted(driver, id),
      (seen) => seen >= 2,
    );
    await driver.pauseContainer(id);
    expect(kernelFrozen(runCgroup(driver, id))).toBe(true);
    const frozen = counted(driver, id);
    await sleep(500);
    expect(counted(driver, id)).toBe(frozen);
    await driver.resumeContainer(id);
    await eventually(
      'counted(driver, id) > frozen',
      () => counted(driver, id),
      (seen) => seen > frozen,
    );
  });

  it('skips health checks while paused: being frozen does not make it unhealthy', async () => {
    const driver = await makeDriver();
    const { id } = await driver.createContainer(
      shell('sleep 600', {
        healthcheck: {
          command: ['sh', '-c', 'test ! -e sick'],
          intervalMs: 100,
          timeoutMs: 300,
          retries: 1,
        },
      }),
    );
    await driver.startContainer(id);
    await eventually(
      "driver.getContainer(id)?.health === 'healthy'",
      () => driver.getContainer(id),
      (seen) => seen?.health === 'healthy',
    );
    await driver.pauseContainer(id);
    await sleep(1500);
    expect((await driver.getContainer(id))?.health).toBe('healthy');
    await driver.resumeContainer(id);
    await sleep(500);
    expect((await driver.getContainer(id))?.health).toBe('healthy');
    // The checks go on after resume: one that fails now is seen.
    await driver.exec(id, ['touch', 'sick']);
    await eventually(
      "driver.getContainer(id)?.health === 'unhealthy'",
      () => driver.getContainer(id),
      (seen) => seen?.health === 'unhealthy',
    );
  });
});

describe('signals', () => {
  it.each(['warm', 'cold'] as const)(
    'delivers signals to the program (%s start): its traps run, it keeps running',
    async (path) => {
      const driver = await makeDriver();
      const id = await startedOn(driver, path, trapping('USR1', 'TERM'));
      await eventually(
        "logs(driver, id).includes('ready')",
        () => logs(driver, id),
        (seen) => seen.includes('ready'),
      );
      await driver.signalContainer(id, 'SIGUSR1');
      await eventually(
        "logs(driver, id).includes('got-USR1')",
        () => logs(driver, id),
        (seen) => seen.includes('got-USR1'),
      );
      // Had it gone to bubblewrap's monitor, SIGTERM would have ended the run.
      await driver.signalContainer(id, 'SIGTERM');
      await eventually(
        "logs(driver, id).includes('got-TERM')",
        () => logs(driver, id),
        (seen) => seen.includes('got-TERM'),
      );
      await sleep(200);
      expect((await driver.getContainer(id))?.status).toBe('running');
      await driver.signalContainer(id, 'SIGUSR1');
      await eventually(
        "logs(driver, id).split('got-USR1').length === 3",
        () => logs(driver, id),
        (seen) => seen.split('got-USR1').length === 3,
      );
      await driver.signalContainer(id, 'SIGKILL');
      expect(await driver.waitContainer(id)).toMatchObject({ exitCode: 137 });
    },
  );

  it('refuses to signal a paused container, and one that is not running', async () => {
    const driver = await makeDriver();
    const { id } = await driver.createContainer(shell(trapping('HUP')));
    await expect(driver.signalContainer(id, 'SIGHUP')).rejects.toBeInstanceOf(ConflictError);
    await driver.startContainer(id);
    await eventually(
      "logs(driver, id).includes('ready')",
      () => logs(driver, id),
      (seen) => seen.includes('ready'),
    );
    await driver.pauseContainer(id);
    const refused = await driver.signalContainer(id, 'SIGHUP').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(String((refused as Error).message)).toMatch(/resumeContainer/);
    await driver.resumeContainer(id);
    await driver.signalContainer(id, 'SIGHUP');
    await eventually(
      "logs(driver, id).includes('got-HUP')",
      () => logs(driver, id),
      (seen) => seen.includes('got-HUP'),
    );
  });
});

describe('what a container can do about a pause', () => {
  /** A script that tries to thaw `victim` through its freezer, printing what got through. */
  function thawAttempt(group: RunCgroup): string {
    const dir = group.dirs.freezer as string;
    const file = group.version === 1 ? 'freezer.state' : 'cgroup.freeze';
    const value = group.version === 1 ? 'THAWED' : '0';
    return [
      'test -e /sys/fs/cgroup && echo sees-cgroupfs',
      `echo ${value} > ${dir}/${file} 2>/dev/null && echo wrote-freezer`,
      `echo $$ > ${dir}/cgroup.procs 2>/dev/null && echo joined-group`,
      'mkdir -p /tmp/cg && mount -t cgroup -o freezer none /tmp/cg 2>/dev/null && echo mounted',
      'echo done',
    ].join('; ');
  }

  it('cannot reach the cgroup filesystem from its sandbox, to thaw another one or itself', async () => {
    const driver = await makeDriver();
    const victim = await started(driver, COUNTER);
    await eventually(
      'counted(driver, victim) >= 2',
      () => counted(driver, victim),
      (seen) => seen >= 2,
    );
    await driver.pauseContainer(victim);
    const group = runCgroup(driver, victim);
    const frozen = counted(driver, victim);
    const { id } = await driver.createContainer(shell(thawAttempt(group)));
    await driver.startContainer(id);
    await driver.waitContainer(id);
    expect(await driver.getContainerLogs(id, { stderr: false })).toBe('done\n');
    // Not there at all: the sandbox's root has no /sys.
    expect(await driver.getContainerLogs(id, { stdout: false })).toMatch(/Directory nonexistent/);
    expect((await driver.getContainer(victim))?.status).toBe('paused');
    await sleep(300);
    expect(counted(driver, victim)).toBe(frozen);
    // Its own freezer, tried from inside it once it runs again: the same.
    await driver.resumeContainer(victim);
    const own = await driver.exec(victim, ['sh', '-c', thawAttempt(group)]);
    expect(own.stdout).toBe('done\n');
  });

  it('cannot write the freezer of another as its own unprivileged user, even without a sandbox', async () => {
    const driver = await makeDriver({
      enforcement: 'best-effort',
      isolation: { bubblewrap: false },
    });
    const victim = await started(driver, COUNTER);
    await eventually(
      'counted(driver, victim) >= 2',
      () => counted(driver, victim),
      (seen) => seen >= 2,
    );
    await driver.pauseContainer(victim);
    const group = runCgroup(driver, victim);
    const frozen = counted(driver, victim);
    const { id } = await driver.createContainer(shell(thawAttempt(group)));
    await driver.startContainer(id);
    await driver.waitContainer(id);
    // The cgroup filesystem is in view here, but every file that matters is root's.
    expect(await driver.getContainerLogs(id, { stderr: false })).toBe('sees-cgroupfs\ndone\n');
    expect(await driver.getContainerLogs(id, { stdout: false })).toMatch(/Permission denied/);
    await sleep(300);
    expect(counted(driver, victim)).toBe(frozen);
    expect((await driver.getContainer(victim))?.status).toBe('paused');
  });
});

describe('hosts', () => {
  it('finds the freezer on this host and reports pause and signals', async () => {
    const driver = await makeDriver();
    const host = await driver.hostFingerprint();
    expect({ freezer: host.cgroups.freezer, reason: host.cgroups.freezerReason }).toEqual({
      freezer: true,
      reason: undefined,
    });
    expect(await driver.capabilities()).toMatchObject({ pause: true, signals: true });
  });

  it('reports pause: false where containers get no cgroup, and the kit refuses pause', async () => {
    const driver = await makeDriver({ enforcement: 'best-effort', isolation: { cgroups: false } });
    expect(await driver.capabilities()).toMatchObject({ pause: false, signals: true });
    const id = await started(driver, trapping('USR2'));
    await eventually(
      "logs(driver, id).includes('ready')",
      () => logs(driver, id),
      (seen) => seen.includes('ready'),
    );
    await expect(driver.pauseContainer(id)).rejects.toBeInstanceOf(UnsupportedFeatureError);
    await expect(driver.resumeContainer(id)).rejects.toBeInstanceOf(UnsupportedFeatureError);
    await driver.signalContainer(id, 'SIGUSR2');
    await eventually(
      "logs(driver, id).includes('got-USR2')",
      () => logs(driver, id),
      (seen) => seen.includes('got-USR2'),
    );
  });
});
