/**
 * Lifecycle benchmark: create → start → wait → logs → remove, through Berth's DockerDriver and
 * through the same Engine API calls made directly with node:http, interleaved in one run so
 * both see the same engine at the same moment. Not a test: it prints figures and whether they
 * meet the targets (Berth ≤ 1.05× raw per lifecycle, ≥ 0.95× raw throughput at concurrency 8).
 *
 *   pnpm --filter @berth/driver-docker build && pnpm --filter @berth/driver-docker bench
 *
 * Env: BERTH_TEST_IMAGE, BENCH_ITERATIONS (sequential pairs, default 30), BENCH_ROUNDS
 * (concurrent rounds per side, default 4), BENCH_PER_WORKER (lifecycles per worker, default 4).
 */
import { performance } from 'node:perf_hooks';
import { DockerDriver } from '../dist/index.js';
import { agent, call } from './raw-engine.ts';

const image = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const iterations = Number(process.env.BENCH_ITERATIONS ?? 30);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const perWorker = Number(process.env.BENCH_PER_WORKER ?? 4);
const concurrency = 8;
const session = `berth-bench-${process.pid}`;
const command = ['sh', '-c', 'echo hello; echo world >&2'];

/** The frames of a logs reply, stdout and stderr apart: what any client has to do. */
function demux(data: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  for (let offset = 0; offset + 8 <= data.length; ) {
    const size = data.readUInt32BE(offset + 4);
    (data[offset] === 2 ? out.stderr : out.stdout).push(
      data.subarray(offset + 8, offset + 8 + size),
    );
    offset += 8 + size;
  }
  return {
    stdout: Buffer.concat(out.stdout).toString(),
    stderr: Buffer.concat(out.stderr).toString(),
  };
}

// The same container Berth makes from its secure defaults, so the engine does the same work.
const rawBody = {
  Image: image,
  Cmd: command,
  Env: [],
  User: '65534:65534',
  Tty: false,
  Labels: { 'berth.managed': 'true', 'berth.session': session },
  HostConfig: {
    NanoCpus: 500_000_000,
    Memory: 512 * 1024 * 1024,
    MemorySwap: 512 * 1024 * 1024,
    PidsLimit: 100,
    ReadonlyRootfs: true,
    SecurityOpt: ['no-new-privileges:true'],
    CapDrop: ['ALL'],
    CapAdd: [],
    NetworkMode: 'none',
    LogConfig: { Type: 'local', Config: {} },
    Init: true,
  },
};

async function rawLifecycle(): Promise<void> {
  const { Id } = JSON.parse((await call('POST', '/containers/create', rawBody)).toString());
  await call('POST', `/containers/${Id}/start`);
  await call('POST', `/containers/${Id}/wait?condition=not-running`);
  const logs = demux(await call('GET', `/containers/${Id}/logs?stdout=1&stderr=1`));
  if (logs.stdout !== 'hello\n') throw new Error(`raw: unexpected logs ${JSON.stringify(logs)}`);
  await call('DELETE', `/containers/${Id}`);
}

const driver = new DockerDriver();

async function berthLifecycle(): Promise<void> {
  const { id } = await driver.createContainer({ sessionId: session, image, command });
  await driver.startContainer(id);
  await driver.waitContainer(id);
  const logs = await driver.getContainerLogs(id, { stderr: false });
  if (logs !== 'hello\n') throw new Error(`berth: unexpected logs ${JSON.stringify(logs)}`);
  await driver.removeContainer(id);
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function throughput(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perWorker; i++) await run();
    }),
  );
  return (concurrency * perWorker) / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  try {
    // Warm both paths: connections, the capability probe, the engine's caches.
    for (let i = 0; i < 3; i++) {
      await rawLifecycle();
      await berthLifecycle();
    }
    const raw: number[] = [];
    const berth: number[] = [];
    for (let i = 0; i < iterations; i++) {
      // Alternate who goes first, so neither side always runs on a just-warmed engine.
      if (i % 2 === 0) {
        raw.push(await timed(rawLifecycle));
        berth.push(await timed(berthLifecycle));
      } else {
        berth.push(await timed(berthLifecycle));
        raw.push(await timed(rawLifecycle));
      }
    }
    const rawTput: number[] = [];
    const berthTput: number[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        rawTput.push(await throughput(rawLifecycle));
        berthTput.push(await throughput(berthLifecycle));
      } else {
        berthTput.push(await throughput(berthLifecycle));
        rawTput.push(await throughput(rawLifecycle));
      }
    }

    const seqRatio = median(berth) / median(raw);
    const tputRatio = median(berthTput) / median(rawTput);
    const rows = [
      [
        'sequential lifecycle (median ms)',
        median(raw).toFixed(1),
        median(berth).toFixed(1),
        `${seqRatio.toFixed(3)}x`,
        seqRatio <= 1.05 ? 'ok (<= 1.05x)' : 'MISSED (> 1.05x)',
      ],
      [
        `throughput at concurrency ${concurrency} (lifecycles/s, median)`,
        median(rawTput).toFixed(2),
        median(berthTput).toFixed(2),
        `${tputRatio.toFixed(3)}x`,
        tputRatio >= 0.95 ? 'ok (>= 0.95x)' : 'MISSED (< 0.95x)',
      ],
    ];
    console.log(`Berth DockerDriver vs raw Engine API (node:http), image ${image}`);
    console.log(
      `${iterations} interleaved sequential pairs, ${rounds} concurrent rounds of ${concurrency}x${perWorker} per side\n`,
    );
    console.log(['', 'raw', 'berth', 'berth/raw', 'target'].join(' | '));
    for (const row of rows) console.log(row.join(' | '));
  } finally {
    await driver.cleanup({ sessionId: session });
    agent.destroy();
  }
}

await main();
