/**
 * Cold start: a whole process that makes one container and is done (create → start → wait →
 * logs → remove) on the local driver, against a process that spawns the very sandbox command
 * line the driver builds for it (cgroup join, bubblewrap, setpriv) and collects its output.
 * Each program runs in a fresh Node process, interleaved; medians of wall time, CPU and peak
 * RSS. Not a test: it prints the figures and whether Berth is within 3× the spawn.
 *
 *   pnpm --filter @berth/driver-local build && node packages/driver-local/bench/cold-start.ts
 *
 * Env: BENCH_ITERATIONS (pairs, default 10).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDriver } from '../dist/index.js';
import { sandboxedCommand } from './sandbox-command-line.ts';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 10);
const PROGRAM = ['sh', '-c', 'echo hello; echo world >&2'];

interface Run {
  wallMs: number;
  cpuMs: number;
  maxRssMiB: number;
}

function once(program: string, env: Record<string, string>): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(program, import.meta.url))], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${program} exited ${code}: ${err}`));
      const last = err.trim().split('\n').pop() ?? '';
      resolve({ wallMs, ...(JSON.parse(last) as Omit<Run, 'wallMs'>) });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const stateDir = await mkdtemp(join(tmpdir(), 'berth-local-cold-'));
const holderDriver = new LocalDriver({ stateDir: join(stateDir, 'holder'), warmSandboxes: 0 });
try {
  const sandbox = await sandboxedCommand(
    holderDriver,
    { sessionId: 'bench', image: 'host' },
    PROGRAM,
  );
  if (!sandbox) throw new Error('nothing isolates on this host: run scripts/local-host.sh');
  const sides = {
    berth: () =>
      once('./one-shot/berth.mjs', {
        BENCH_STATE_DIR: join(stateDir, 'berth'),
        BENCH_PROGRAM: JSON.stringify(PROGRAM),
      }),
    spawn: () => once('./one-shot/spawn.mjs', { BENCH_COMMAND: JSON.stringify(sandbox.command) }),
  };
  // The first run of the driver on a state directory fingerprints the host and keeps it.
  await sides.berth();
  await sides.spawn();
  const runs: Record<keyof typeof sides, Run[]> = { berth: [], spawn: [] };
  for (let i = 0; i < iterations; i += 1) {
    const order = i % 2 ? (['spawn', 'berth'] as const) : (['berth', 'spawn'] as const);
    for (const name of order) runs[name].push(await sides[name]());
  }
  await sandbox.release();
  const row = (r: Run[]) => ({
    wallMs: median(r.map((x) => x.wallMs)),
    cpuMs: median(r.map((x) => x.cpuMs)),
    maxRssMiB: median(r.map((x) => x.maxRssMiB)),
  });
  const berth = row(runs.berth);
  const base = row(runs.spawn);
  const fmt = (r: Run) =>
    `${r.wallMs.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.maxRssMiB.toFixed(1)} MiB peak`;
  const ratio = berth.wallMs / base.wallMs;
  console.log(`Local one-shot of \`${PROGRAM.join(' ')}\`, ${iterations} runs each, medians`);
  console.log(`  Berth's local driver        ${fmt(berth)}`);
  console.log(`  spawn of the sandbox line   ${fmt(base)}`);
  console.log(`  ratio ${ratio.toFixed(2)}× wall (target ≤ 3×: ${ratio <= 3 ? 'met' : 'NOT met'})`);
} finally {
  await holderDriver.cleanup({ all: true }).catch(() => undefined);
  await holderDriver.close();
  await rm(stateDir, { recursive: true, force: true });
}
