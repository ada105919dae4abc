/**
 * Start → first HTTP answer → stop, for a container serving HTTP on a published port, through
 * Berth (createContainer, startContainer, waitUntilReady(waitFor.http), stopContainer,
 * removeContainer) and through the raw Engine API doing the same (create, start, inspect for
 * the bound port, poll it, stop, remove), interleaved in one run. Both poll every 20 ms. Not a
 * test: it prints the figures and whether Berth is within the target, 1.1× raw.
 *
 *   pnpm --filter @berth/driver-docker build && node packages/driver-docker/bench/http-ready.ts
 *
 * Env: BERTH_TEST_IMAGE, BENCH_ITERATIONS (pairs, default 15).
 */
import { performance } from 'node:perf_hooks';
import { waitFor, waitUntilReady } from '@berth/core';
import { DockerDriver } from '../dist/index.js';
import { agent, call } from './raw-engine.ts';

const image = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const iterations = Number(process.env.BENCH_ITERATIONS ?? 15);
const session = `berth-bench-http-${process.pid}`;
// busybox httpd, in the foreground, serving /etc (the engine bind-mounts /etc/hostname).
const command = ['httpd', '-f', '-p', '8080', '-h', '/etc'];
const POLL_MS = 20;

// What Berth makes from its secure defaults and one published port, so the engine does the same.
const rawBody = {
  Image: image,
  Cmd: command,
  Env: [],
  User: '65534:65534',
  Tty: false,
  ExposedPorts: { '8080/tcp': {} },
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
    NetworkMode: 'bridge',
    PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    LogConfig: { Type: 'local', Config: {} },
    Init: true,
  },
};

async function answered(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function raw(): Promise<{ ready: number; total: number }> {
  const start = performance.now();
  const { Id } = JSON.parse((await call('POST', '/containers/create', rawBody)).toString());
  await call('POST', `/containers/${Id}/start`);
  const info = JSON.parse((await call('GET', `/containers/${Id}/json`)).toString());
  const port = info.NetworkSettings.Ports['8080/tcp'][0].HostPort;
  while (!(await answered(`http://127.0.0.1:${port}/hostname`))) {
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const ready = performance.now() - start;
  await call('POST', `/containers/${Id}/stop?t=0`);
  await call('DELETE', `/containers/${Id}`);
  return { ready, total: performance.now() - start };
}

const driver = new DockerDriver();

async function berth(): Promise<{ ready: number; total: number }> {
  const start = performance.now();
  const { id } = await driver.createContainer({
    sessionId: session,
    image,
    command,
    ports: [{ container: 8080 }],
  });
  await driver.startContainer(id);
  await waitUntilReady(driver, id, waitFor.http(8080, '/hostname'), {
    pollMs: POLL_MS,
    timeoutMs: 30_000,
  });
  const ready = performance.now() - start;
  await driver.stopContainer(id, { timeout: 0 });
  await driver.removeContainer(id);
  return { ready, total: performance.now() - start };
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

try {
  await raw();
  await berth();
  const r: { ready: number; total: number }[] = [];
  const b: { ready: number; total: number }[] = [];
  for (let i = 0; i < iterations; i++) {
    r.push(await raw());
    b.push(await berth());
  }
  const rr = median(r.map((x) => x.ready));
  const br = median(b.map((x) => x.ready));
  const rt = median(r.map((x) => x.total));
  const bt = median(b.map((x) => x.total));
  console.log(`start → first HTTP answer → stop, ${iterations} interleaved pairs, medians:`);
  console.log(
    `  to first answer   raw ${rr.toFixed(0)} ms   berth ${br.toFixed(0)} ms   ${(br / rr).toFixed(2)}×`,
  );
  console.log(
    `  whole cycle       raw ${rt.toFixed(0)} ms   berth ${bt.toFixed(0)} ms   ${(bt / rt).toFixed(2)}×  target ≤ 1.1×: ${bt / rt <= 1.1 ? 'met' : 'MISSED'}`,
  );
} finally {
  await driver.cleanup({ sessionId: session });
  await driver.close();
  agent.destroy();
}
