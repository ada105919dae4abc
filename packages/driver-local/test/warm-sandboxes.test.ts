import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfigInput } from '@berth/core';
import { describe, expect, it } from 'vitest';
import type { LocalDriver } from '../src/index.js';
import { containerCgroupOf, runCgroupName } from '../src/isolation/cgroups.js';
import { warmStartScript } from '../src/isolation/sandbox-command.js';
import {
  containerUid,
  eventually,
  hostPidOf,
  isAlive,
  makeDriver,
  procStatus,
  shell,
  tempDir,
} from './helpers.js';

/*
 * Warm sandboxes (src/warm-sandboxes.ts) start a container's program inside a chain built ahead
 * of time. Everything here runs for real: the point is that a warm start is indistinguishable
 * from a cold one, enforces the same limits, and leaves nothing behind.
 */

interface RunMeta {
  pid: number;
  meta: { warm?: boolean; cgroup?: { dirs: Record<string, string> } };
}

function runRecord(driver: LocalDriver, id: string): RunMeta {
  return JSON.parse(
    readFileSync(join(driver.stateDir, 'containers', id, 'run.json'), 'utf8'),
  ) as RunMeta;
}

/** Creates and starts containers of `config` until one takes a warm sandbox; returns its id. */
async function startWarm(driver: LocalDriver, config: ContainerConfigInput): Promise<string> {
  const made = await eventually(
    'a container to start in a warm sandbox (the last one tried)',
    async () => {
      const c = await driver.createContainer(config);
      await driver.startContainer(c.id);
      const warm = Boolean(runRecord(driver, c.id).meta.warm);
      if (!warm) {
        await driver.removeContainer(c.id, { force: true });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { id: c.id, warm };
    },
    (tried) => tried.warm,
  );
  return made.id;
}

async function startCold(driver: LocalDriver, config: ContainerConfigInput): Promise<string> {
  const c = await driver.createContainer(config);
  await driver.startContainer(c.id);
  expect(runRecord(driver, c.id).meta.warm).toBeUndefined();
  return c.id;
}

/** The directories of this driver's warm sandboxes, one per sandbox id. */
function warmDirs(stateDir: string): string[] {
  const root = join(stateDir, 'warm');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((owner) =>
    readdirSync(join(root, owner)).map((id) => join(root, owner, id)),
  );
}

/** Live processes whose command line says they are a warm stub of this state directory. */
function stubProcesses(ids: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || !isAlive(pid)) continue;
    try {
      const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (ids.some((id) => cgroups.includes(id))) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function cgroupDirsNamed(ids: string[]): string[] {
  const found: string[] = [];
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    for (const parent of [join('/sys/fs/cgroup', hierarchy, 'berth'), '/sys/fs/cgroup/berth']) {
      if (!existsSync(parent)) continue;
      for (const name of readdirSync(parent)) {
        if (ids.some((id) => name.startsWith(id))) found.push(join(parent, name));
      }
    }
  }
  return [...new Set(found)];
}

const TRICKY_ARGS = ["a'b", '$HOME', '`id`', '"q"', 'two\nlines', '-n', '', '*', '\\'];
const TRICKY_ENV = { TRICKY: 'it\'s $x `y` "z" \\ \n end', EMPTY: '', _UNDER: 'u' };

/** Prints everything a program can see of how it was started, with ids and paths masked. */
const PROBE = shell(
  [
    'printf "[%s]" "$@"; echo',
    'env | sort',
    'printf "{%s}\\n" "$TRICKY"',
    'pwd; hostname; id -u; id -g',
    'grep -E "^(NoNewPrivs|CapEff|CapBnd|Seccomp):" /proc/self/status',
    'readlink /proc/self/fd/0',
    'ls /proc/self/fd | wc -l',
    'touch /etc/probe 2>&1 | sed "s/^.*: //"',
    'touch ./probe && echo work dir writable',
  ].join('; '),
  { env: TRICKY_ENV },
);
PROBE.command = [...(PROBE.command as string[]), 'probe', ...TRICKY_ARGS];

async function probeOutput(driver: LocalDriver, id: string): Promise<string> {
  expect(await driver.waitContainer(id)).toEqual({ exitCode: 0, oomKilled: false });
  const logs = await driver.getContainerLogs(id);
  // Each container has an identity of its own: the same place in the output, another number.
  const uid = String(containerUid(driver.stateDir, id));
  return logs
    .replaceAll(`\n${uid}\n`, '\n<uid>\n')
    .replaceAll(`\n${uid}\n`, '\n<uid>\n')
    .replaceAll(driver.stateDir, '<state>')
    .replaceAll(id, '<id>')
    .replaceAll(id.slice(0, 12), '<id>');
}

describe('warm sandboxes', () => {
  it('are not built for a driver that has made only one container; the second starts them', async () => {
    const driver = await makeDriver();
    const once = async () => {
      const c = await driver.createContainer({ sessionId: 't', image: 'host', command: ['true'] });
      await driver.startContainer(c.id);
      await driver.waitContainer(c.id);
    };
    await once();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(warmDirs(driver.stateDir), 'nothing built ahead after one').toEqual([]);
    await once();
    const built = await eventually(
      'sandboxes built ahead after the second container',
      () => warmDirs(driver.stateDir),
      (dirs) => dirs.length > 0,
    );
    expect(built.length).toBeGreaterThan(0);
  });

  it('the probe for the stub shell passes on this host', async () => {
    const driver = await makeDriver();
    expect((await driver.hostFingerprint()).warmStart).toBe(true);
  });

  it('start a program exactly as a cold start does: arguments, environment, identity, sandbox', async () => {
    const warm = await makeDriver();
    const cold = await makeDriver({ warmSandboxes: 0 });
    const warmOut = await probeOutput(warm, await startWarm(warm, PROBE));
    const coldOut = await probeOutput(cold, await startCold(cold, PROBE));
    expect(warmOut).toBe(coldOut);
    // And what they both saw is what was asked for.
    expect(warmOut).toContain(`[${TRICKY_ARGS.join('][')}]\n`);
    expect(warmOut).toContain(`{${TRICKY_ENV.TRICKY}}\n`);
    expect(warmOut).toContain('\nEMPTY=\n');
    expect(warmOut).toContain(
      'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n',
    );
    expect(warmOut).toContain('/dev/null\n');
    expect(warmOut).toContain('Read-only file system\n');
    expect(warmOut).toContain('work dir writable\n');
    expect(warmOut).toContain('HOSTNAME=berth-<id>\n');
  });

  it('enforce the memory limit: a hog is killed at it', async () => {
    const driver = await makeDriver();
    const id = await startWarm(
      driver,
      shell('x=0123456789abcdef; while :; do x="$x$x"; done', { resources: { memory: 32 } }),
    );
    expect(await driver.waitContainer(id)).toEqual({ exitCode: 137, oomKilled: true });
  });

  it('enforce the pids limit and put every process in the cgroup', async () => {
    const driver = await makeDriver();
    const id = await startWarm(
      driver,
      shell('sleep 0.3; i=0; while [ $i -lt 200 ]; do sleep 300 & i=$((i + 1)); done; echo all', {
        resources: { pids: 20 },
      }),
    );
    const { pid, meta } = runRecord(driver, id);
    const pids = Object.values(meta.cgroup?.dirs ?? {}).find((d) => d.includes('pids')) ?? '';
    expect(readFileSync(join(pids, 'pids.max'), 'utf8').trim()).toBe('20');
    expect(readFileSync(join(pids, 'cgroup.procs'), 'utf8')).toContain(String(pid));
    const result = await driver.waitContainer(id);
    expect(result.exitCode).not.toBe(0);
    expect(await driver.getContainerLogs(id)).not.toContain('all');
  });

  it('run as the configured user with no capabilities, seen from the host', async () => {
    const driver = await makeDriver();
    const id = await startWarm(driver, shell('echo $$; exec sleep 300'));
    const printed = await eventually(
      'the container to print its pid (its logs)',
      async () => (await driver.getContainerLogs(id)).trim(),
      (text) => text !== '',
    );
    const uid = containerUid(driver.stateDir, id);
    const pid = await hostPidOf(uid, Number(printed));
    const status = await procStatus(pid);
    expect(status.NoNewPrivs).toBe('1');
    expect(status.CapEff).toBe('0000000000000000');
    if (process.getuid?.() === 0) {
      expect(Number(status.Uid?.split(/\s+/)[0])).toBeGreaterThanOrEqual(2_000_000_000);
    }
  });

  it('support exec, stats, stop and a cold restart', async () => {
    const driver = await makeDriver();
    const id = await startWarm(driver, shell('trap "echo bye; exit 3" TERM; sleep 300 & wait'));
    const result = await driver.exec(id, ['sh', '-c', 'hostname; pwd']);
    expect(result.stdout).toBe(
      `berth-${id.slice(0, 12)}\n${driver.stateDir}/containers/${id}/work\n`,
    );
    expect((await driver.getContainerStats(id)).pids).toBeGreaterThan(0);
    await driver.stopContainer(id, { timeout: 5 });
    expect(await driver.waitContainer(id)).toEqual({ exitCode: 3, oomKilled: false });
    expect(await driver.getContainerLogs(id)).toBe('bye\n');
    await driver.startContainer(id);
    expect(runRecord(driver, id).meta.warm).toBeUndefined();
    expect((await driver.getContainer(id))?.status).toBe('running');
    await driver.stopContainer(id, { timeout: 5 });
  });

  it('are not used for a container of another shape, which starts cold and correctly', async () => {
    const driver = await makeDriver();
    await startWarm(driver, shell('true'));
    // Made for a read-only root: a writable one must not get it.
    const id = await startCold(
      driver,
      shell('touch /berth-shape && echo wrote', { security: { readOnly: false } }),
    );
    await driver.waitContainer(id);
    expect(await driver.getContainerLogs(id)).toMatch(/wrote|Permission denied/);
    expect(await driver.getContainerLogs(id)).not.toMatch(/Read-only/);
    // Nor a chosen name (its hostname), nor an environment the stub's shell cannot carry.
    await startWarm(driver, shell('true'));
    await startCold(driver, shell('hostname', { name: 'chosen' }));
    await startWarm(driver, shell('true'));
    const odd = await startCold(driver, shell('env | grep ^ENV=', { env: { ENV: 'given' } }));
    await driver.waitContainer(odd);
    expect(await driver.getContainerLogs(odd)).toBe('ENV=given\n');
  });

  it('held by a created container are freed when it is removed unstarted', async () => {
    const driver = await makeDriver();
    await startWarm(driver, shell('true'));
    const { id: held } = await eventually(
      'a created container holding a warm sandbox (the last one tried)',
      async () => {
        const c = await driver.createContainer(shell('true'));
        const tried = {
          id: c.id,
          work: existsSync(join(driver.stateDir, 'containers', c.id, 'work')),
          cgroups: cgroupDirsNamed([c.id]).length,
          processes: stubProcesses([c.id]).length,
        };
        if (!(tried.work && tried.cgroups > 0 && tried.processes > 0)) {
          await driver.removeContainer(c.id);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return tried;
      },
      (tried) => tried.work && tried.cgroups > 0 && tried.processes > 0,
    );
    await driver.removeContainer(held);
    await eventually(
      "the held sandbox's processes and cgroups gone",
      () => ({ processes: stubProcesses([held]), cgroups: cgroupDirsNamed([held]) }),
      (left) => left.processes.length === 0 && left.cgroups.length === 0,
    );
  });

  it('held by a created container but dead by its start leave it to start cold', async () => {
    const driver = await makeDriver();
    await startWarm(driver, shell('true'));
    const { id: held } = await eventually(
      "a created container with its sandbox's processes (the last one tried)",
      async () => {
        const c = await driver.createContainer(shell('echo started; id -u'));
        const processes = stubProcesses([c.id]).length;
        if (processes === 0) {
          await driver.removeContainer(c.id);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return { id: c.id, processes };
      },
      (tried) => tried.processes > 0,
    );
    // Killing one ends the rest through the pid namespace: some may be gone by their turn.
    for (const pid of stubProcesses([held])) killIfAlive(pid);
    await eventually(
      'stubProcesses([held]).length === 0',
      () => stubProcesses([held]),
      (seen) => seen.length === 0,
    );
    // Its supervisor reports the loss; the start after that builds the chain afresh.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await driver.startContainer(held);
    expect(runRecord(driver, held).meta.warm).toBeUndefined();
    expect(await driver.waitContainer(held)).toEqual({ exitCode: 0, oomKilled: false });
    const uid = containerUid(driver.stateDir, held);
    expect(await driver.getContainerLogs(held)).toBe(`started\n${uid}\n`);
  });

  it("left behind by killed drivers are removed with the never-started container's cgroup", async () => {
    const driver = await makeDriver({ warmSandboxes: 0 });
    const c = await driver.createContainer(shell('true'));
    // What a killed driver and supervisor leave of a claimed sandbox: its empty first-run group.
    const { cgroups } = await driver.hostFingerprint();
    const group = containerCgroupOf(cgroups, runCgroupName(c.id, 1));
    const dirs = [...new Set(Object.values(group?.dirs ?? {}))];
    expect(dirs.length).toBeGreaterThan(0);
    for (const dir of dirs) mkdirSync(dir, { recursive: true });
    await driver.removeContainer(c.id);
    expect(dirs.filter((dir) => existsSync(dir))).toEqual([]);
  });

  it('whose stub dies are cleaned up and replaced', async () => {
    const driver = await makeDriver();
    await startWarm(driver, shell('true'));
    const { ids } = await eventually(
      'a warm sandbox with its processes (the warm directories and their processes)',
      () => {
        const found = warmDirs(driver.stateDir).map((d) => d.split('/').pop() as string);
        return { ids: found, processes: stubProcesses(found) };
      },
      (seen) => seen.ids.length > 0 && seen.processes.length > 0,
    );
    const victim = ids[0] as string;
    for (const pid of stubProcesses([victim])) killIfAlive(pid);
    await eventually(
      "the killed sandbox's cgroups and directory gone",
      () => ({
        cgroups: cgroupDirsNamed([victim]),
        dirs: warmDirs(driver.stateDir).filter((d) => d.endsWith(victim)),
      }),
      (left) => left.cgroups.length === 0 && left.dirs.length === 0,
    );
    // The next container still starts warm.
    await startWarm(driver, shell('true'));
  });

  it('leave no process, cgroup or directory behind when the driver closes', async () => {
    const driver = await makeDriver();
    await startWarm(driver, shell('true'));
    const ids = await eventually(
      'a warm sandbox directory',
      () => warmDirs(driver.stateDir).map((d) => d.split('/').pop() as string),
      (found) => found.length > 0,
    );
    await driver.close();
    expect(stubProcesses(ids)).toEqual([]);
    expect(cgroupDirsNamed(ids)).toEqual([]);
    await eventually(
      'warmDirs(driver.stateDir).length === 0',
      () => warmDirs(driver.stateDir),
      (seen) => seen.length === 0,
    );
  });

  it('die with their supervisor when the driver is SIGKILLed; the next driver sweeps the rest', async () => {
    const stateDir = await tempDir('warm-killed-');
    const script = `
      import { LocalDriver } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const driver = new LocalDriver({ stateDir: ${JSON.stringify(stateDir)} });
      // Two containers: a driver that has made only one builds nothing ahead.
      for (let i = 0; i < 2; i += 1) {
        const c = await driver.createContainer({ sessionId: 't', image: 'host', command: ['true'] });
        await driver.startContainer(c.id);
        await driver.waitContainer(c.id);
      }
      setInterval(() => {}, 1000);
      console.log('ready');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const { ids } = await eventually(
      "two of the other driver's warm sandboxes with their processes (the warm directories and their processes)",
      () => {
        const found = warmDirs(stateDir).map((d) => d.split('/').pop() as string);
        return { ids: found, processes: stubProcesses(found) };
      },
      (seen) => seen.ids.length >= 2 && seen.processes.length >= 2,
    );
    child.kill('SIGKILL');
    await eventually(
      "the dead driver's sandboxes' processes and cgroups gone",
      () => ({ processes: stubProcesses(ids), cgroups: cgroupDirsNamed(ids) }),
      (left) => left.processes.length === 0 && left.cgroups.length === 0,
    );
    const next = await makeDriver({ stateDir });
    await next.capabilities();
    await eventually(
      "the dead driver's sandbox directories removed by the next one (those left)",
      () => warmDirs(stateDir).filter((d) => ids.some((id) => d.endsWith(id))),
      (left) => left.length === 0,
    );
  });
});

describe('warmStartScript', () => {
  it('declines what the stub shell cannot carry exactly', () => {
    expect(warmStartScript(['true'], { OK: 'x' })).toBeDefined();
    expect(warmStartScript(['true'], { 'A.B': 'x' })).toBeUndefined();
    expect(warmStartScript(['true'], { IFS: ':' })).toBeUndefined();
    expect(warmStartScript(['true'], { OK: 'nul\0byte' })).toBeUndefined();
    expect(warmStartScript(['-dash'], {})).toBeUndefined();
    expect(warmStartScript([], {})).toBeUndefined();
  });
});

describe('warm sandboxes option', () => {
  it('rejects a count that is not a whole number', async () => {
    await expect(makeDriver({ warmSandboxes: -1 })).rejects.toThrow(/warmSandboxes/);
    await expect(makeDriver({ warmSandboxes: 1.5 })).rejects.toThrow(/warmSandboxes/);
  });

  it('0 starts every container cold', async () => {
    const driver = await makeDriver({ warmSandboxes: 0 });
    for (let i = 0; i < 3; i++) {
      await startCold(driver, shell('true'));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(warmDirs(driver.stateDir)).toEqual([]);
  });
});
