/**
 * Cold start: a whole process that makes one container and is done (create → start → wait →
 * logs → remove), through Berth and through the raw Engine API over the socket, each program in
 * a fresh Node process, interleaved so both see the same machine. Medians of wall time, CPU and
 * peak RSS. Not a test: it prints the figures and whether Berth is within its targets, 1.2× the
 * raw API's wall time and 75 MiB.
 *
 *   pnpm --filter @berth/driver-docker build && node packages/driver-docker/bench/cold-start.ts
 *
 * Env: BERTH_TEST_IMAGE, BENCH_ITERATIONS (pairs, default 10).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 10);
const session = `berth-bench-cold-${process.pid}`;

interface Run {
  wallMs: number;
  cpuMs: number;
  maxRssMiB: number;
}

function once(program: string): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(program, import.meta.url))], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, BENCH_SESSION: session },
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      const last = err.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${program} exited ${code}: ${err}`));
      resolve({ wallMs, ...(JSON.parse(last) as Omit<Run, 'wallMs'>) });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const programs = { berth: './one-shot/berth.mjs', raw: './one-shot/raw.mjs' } as const;
// Plain JavaScript programs: a .ts one would load Node's type stripper, in both.
// Warm the engine and the page cache for both, and let the driver keep its probe's answer.
for (const program of Object.values(programs)) await once(program);
const runs: Record<keyof typeof programs, Run[]> = { berth: [], raw: [] };
for (let i = 0; i < iterations; i += 1) {
  // Alternating which goes first, so neither always follows the other.
  const order = i % 2 ? (['raw', 'berth'] as const) : (['berth', 'raw'] as const);
  for (const name of order) runs[name].push(await once(programs[name]));
}

const row = (name: keyof typeof programs) => {
  const r = runs[name];
  return {
    wallMs: median(r.map((x) => x.wallMs)),
    cpuMs: median(r.map((x) => x.cpuMs)),
    maxRssMiB: median(r.map((x) => x.maxRssMiB)),
  };
};
const berth = row('berth');
const raw = row('raw');
const ratio = berth.wallMs / raw.wallMs;
const fmt = (r: Run) =>
  `${r.wallMs.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.maxRssMiB.toFixed(1)} MiB peak`;
console.log(`Docker one-shot, ${iterations} runs each, medians, side by side`);
console.log(`  Berth's Docker driver  ${fmt(berth)}`);
console.log(`  raw Engine API         ${fmt(raw)}`);
console.log(
  `  ratio ${ratio.toFixed(2)}× wall (target ≤ 1.20×: ${ratio <= 1.2 ? 'met' : 'NOT met'}); peak ${berth.maxRssMiB.toFixed(1)} MiB (target ≤ 75: ${berth.maxRssMiB <= 75 ? 'met' : 'NOT met'})`,
);
