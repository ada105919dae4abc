/*
 * Benchmark (not a test): what a container costs over running the same process directly.
 *
 * 1. One lifecycle — create, start, wait, logs, remove — against child_process.spawn of the
 *    same program collecting its output, interleaved so both see the same machine (with a short
 *    idle gap after each run, see GAP_MS), reported as
 *    medians and their ratio, for three isolation levels. For each level a second
 *    baseline spawns the very command line the driver builds for the container (cgroup join,
 *    bubblewrap, setpriv; made by the package's own planProcess and buildSandboxCommand), so
 *    the table shows the overhead of supervision over the same sandbox as well.
 *    The driver keeps sandboxes built ahead of time (warm sandboxes) by default; a fourth level
 *    builds every sandbox on start (warmSandboxes: 0), for comparison.
 * 2. Sustained: lifecycles back to back with nothing in between, against spawns back to back.
 *    Here the warm sandboxes are rebuilt while the next lifecycles run, not in idle time.
 * 3. 200 containers started concurrently and stopped, checking that none is lost.
 *
 * Run: pnpm --filter @berth/driver-local bench  (after a build; `pnpm bench` at the root builds)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfigInput } from '@berth/core';
import { LocalDriver, type LocalDriverOptions } from '../dist/index.js';
import { type Command, sandboxedCommand } from './sandbox-command-line.ts';

const ITERATIONS = Number(process.env.BERTH_BENCH_ITERATIONS ?? 60);
const WARMUP = 5;
const CONCURRENT = Number(process.env.BERTH_BENCH_CONCURRENT ?? 200);
const PROGRAM = ['sh', '-c', 'echo hello; echo world >&2'];
/**
 * Idle time after each measured run, so that what one leaves running in the background (the
 * driver rebuilding a warm sandbox, deleting trash) is over before the next is timed, and no
 * side is timed while the other's leftovers use the CPU. Back-to-back load is measured apart.
 */
const GAP_MS = Number(process.env.BERTH_BENCH_GAP_MS ?? 40);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function spawnOnce(command: Command = { argv: PROGRAM }): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const [file, ...args] = command.argv;
    const child = spawn(file as string, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(command.env ? { env: command.env } : {}),
      ...(command.cwd ? { cwd: command.cwd } : {}),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    child.once('error', reject);
    child.once('close', () =>
      out.includes('hello') && out.includes('world') ? resolve() : reject(new Error(out)),
    );
  });
  return performance.now() - started;
}

async function lifecycleOnce(driver: LocalDriver, config: ContainerConfigInput): Promise<number> {
  const started = performance.now();
  const c = await driver.createContainer(config);
  await driver.startContainer(c.id);
  const { exitCode } = await driver.waitContainer(c.id);
  const logs = await driver.getContainerLogs(c.id);
  await driver.removeContainer(c.id);
  const elapsed = performance.now() - started;
  if (exitCode !== 0 || logs !== 'hello\nworld\n') throw new Error(`bad run: ${exitCode} ${logs}`);
  return elapsed;
}

interface Level {
  label: string;
  dir: string;
  options: LocalDriverOptions;
  config: Partial<ContainerConfigInput>;
}

// As root the driver never runs a container without switching users (it would run as host
// root), so every level keeps setpriv: the lighter levels drop cgroups and bubblewrap.
const LEVELS: Level[] = [
  {
    label: 'supervision and a user of its own (no cgroups, no bubblewrap)',
    dir: 'supervision',
    options: {
      enforcement: 'best-effort',
      isolation: { cgroups: false, bubblewrap: false },
    },
    config: {},
  },
  {
    label: 'cgroup limits (cpu, memory, pids) and a user of its own',
    dir: 'cgroup',
    options: { isolation: { bubblewrap: false }, enforcement: 'best-effort' },
    config: {},
  },
  { label: 'secure defaults (cgroups, bwrap, setpriv)', dir: 'secure', options: {}, config: {} },
  {
    label: 'secure defaults, no warm sandboxes (built on start)',
    dir: 'cold',
    options: { warmSandboxes: 0 },
    config: {},
  },
];

async function compare(stateRoot: string): Promise<void> {
  console.log(
    `lifecycle: create → start → wait → logs → remove of \`${PROGRAM.join(' ')}\`, ${ITERATIONS} runs each, interleaved`,
  );
  console.log('');
  console.log('| isolation | spawn median | driver median | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const level of LEVELS) {
    const driver = new LocalDriver({
      ...level.options,
      stateDir: join(stateRoot, level.dir),
    });
    const config: ContainerConfigInput = {
      sessionId: 'bench',
      image: 'host',
      command: PROGRAM,
      ...level.config,
    };
    const sandbox = await sandboxedCommand(driver, config, PROGRAM);
    const spawnTimes: number[] = [];
    const sandboxTimes: number[] = [];
    const driverTimes: number[] = [];
    const runs: (() => Promise<void>)[] = [
      async () => void spawnTimes.push(await spawnOnce()),
      async () => void driverTimes.push(await lifecycleOnce(driver, config)),
    ];
    if (sandbox) runs.push(async () => void sandboxTimes.push(await spawnOnce(sandbox.command)));
    for (let i = 0; i < WARMUP; i++) for (const run of runs) await run();
    spawnTimes.length = sandboxTimes.length = driverTimes.length = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      // Rotate which goes first, so none always runs on a warmer machine.
      for (let j = 0; j < runs.length; j++) {
        await (runs[(i + j) % runs.length] as () => Promise<void>)();
        await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      }
    }
    await sandbox?.release();
    await driver.close();
    const s = median(spawnTimes);
    const d = median(driverTimes);
    console.log(
      `| ${level.label} | ${s.toFixed(2)} ms | ${d.toFixed(2)} ms | ${(d / s).toFixed(2)}× |`,
    );
    if (sandbox) {
      const b = median(sandboxTimes);
      console.log(
        `| ${level.label}, over spawning the same sandboxed command | ${b.toFixed(2)} ms | ${d.toFixed(2)} ms | ${(d / b).toFixed(2)}× |`,
      );
    }
  }
}

async function sustained(stateRoot: string): Promise<void> {
  const driver = new LocalDriver({ stateDir: join(stateRoot, 'sustained') });
  const config: ContainerConfigInput = { sessionId: 'bench', image: 'host', command: PROGRAM };
  for (let i = 0; i < WARMUP; i++) await lifecycleOnce(driver, config);
  const runs = async (once: () => Promise<number>): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < ITERATIONS; i++) await once();
    return (performance.now() - started) / ITERATIONS;
  };
  const spawnMs = await runs(() => spawnOnce());
  const driverMs = await runs(() => lifecycleOnce(driver, config));
  await driver.close();
  console.log('');
  console.log(
    `sustained: ${ITERATIONS} lifecycles back to back (secure defaults), mean per lifecycle`,
  );
  console.log(
    `  spawn ${spawnMs.toFixed(2)} ms, driver ${driverMs.toFixed(2)} ms: ${(driverMs / spawnMs).toFixed(2)}×`,
  );
}

async function concurrent(stateRoot: string): Promise<void> {
  const driver = new LocalDriver({ stateDir: join(stateRoot, 'concurrent'), idleSupervisors: 8 });
  const started = performance.now();
  const created = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      driver.createContainer({
        sessionId: 'bench-concurrent',
        image: 'host',
        name: `c${i}`,
        command: ['sh', '-c', `echo ready ${i}; exec sleep 600`],
      }),
    ),
  );
  await Promise.all(created.map((c) => driver.startContainer(c.id)));
  const startedMs = performance.now() - started;
  const running = await driver.listContainers({ sessionId: 'bench-concurrent', status: 'running' });
  // Started means running, not yet printed: a stop right away may beat the first line, as with
  // any container engine. Each is given until its line is out (10 s at most) before the stop.
  const printedBy = performance.now() + 10_000;
  for (const [i, c] of created.entries()) {
    while (
      performance.now() < printedBy &&
      !(await driver.getContainerLogs(c.id)).startsWith(`ready ${i}\n`)
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const stopStarted = performance.now();
  await Promise.all(created.map((c) => driver.stopContainer(c.id, { timeout: 10 })));
  const stopMs = performance.now() - stopStarted;
  const all = await driver.listContainers({ sessionId: 'bench-concurrent' });
  const stopped = all.filter((c) => c.status === 'stopped').length;
  let withLogs = 0;
  for (const c of created) {
    const i = Number((await driver.getContainer(c.id))?.name.slice(1));
    const logs = await driver.getContainerLogs(c.id);
    if (logs === `ready ${i}\n`) withLogs++;
    else console.log(`  c${i}: logs ${JSON.stringify(logs)}`);
  }
  await driver.cleanup({ sessionId: 'bench-concurrent' });
  await driver.close();
  console.log('');
  console.log(`concurrency: ${CONCURRENT} containers (secure defaults)`);
  console.log(
    `  created + started concurrently in ${startedMs.toFixed(0)} ms; running afterwards: ${running.length}/${CONCURRENT}`,
  );
  console.log(
    `  stopped concurrently in ${stopMs.toFixed(0)} ms; stopped: ${stopped}/${CONCURRENT}; complete logs: ${withLogs}/${CONCURRENT}`,
  );
  const lost = CONCURRENT - Math.min(running.length, stopped, withLogs);
  console.log(`  lost: ${lost}`);
  if (lost > 0) process.exitCode = 1;
}

const stateRoot = await mkdtemp(join(tmpdir(), 'berth-local-bench-'));
try {
  await compare(stateRoot);
  await sustained(stateRoot);
  await concurrent(stateRoot);
} finally {
  await rm(stateRoot, { recursive: true, force: true });
}
