/**
 * A scrape of 200 running containers: collectDriverMetrics' registry.metrics() against the
 * least a scrape must do by hand (list containers, volumes and networks, a health check, and
 * 200 stats reads, 8 at a time), side by side in interleaved rounds on a mock whose every call
 * takes 1–2 ms, as an engine on this machine does. Also a scrape within staleMs, which reuses
 * the stats. Target: the uncached scrape within 1.2× of the hand-made reads (what it adds is
 * mostly the text exposition itself, some 70 KiB here), and a cached one a fraction of them.
 */
import type { ContainerDriver } from '@berth/core';
import { MockDockerDriver, withLatency } from '@berth/driver-mock';
import { Registry } from 'prom-client';
import { collectDriverMetrics } from '../dist/index.js';

const CONTAINERS = 200;
const ROUNDS = 9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function populated(): Promise<MockDockerDriver> {
  const mock = new MockDockerDriver();
  for (let i = 0; i < CONTAINERS; i++) {
    const c = await mock.createContainer({ sessionId: `s${i % 20}`, name: `c${i}`, image: 'x' });
    await mock.startContainer(c.id);
  }
  return mock;
}

async function byHand(driver: ContainerDriver): Promise<void> {
  const [, containers] = await Promise.all([
    driver.healthCheck(),
    driver.listContainers(),
    driver.listVolumes(),
    driver.listNetworks(),
  ]);
  const running = containers.filter((c) => c.status === 'running');
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < running.length) {
        const c = running[next++];
        if (c) await driver.getContainerStats(c.id);
      }
    }),
  );
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const latency = { minMs: 1, maxMs: 2, seed: 7 };
const handMock = await populated();
const scrapeMock = await populated();
const hand = withLatency(handMock, latency);
const uncached = new Registry();
collectDriverMetrics(withLatency(scrapeMock, latency), { registry: uncached, staleMs: 0 });
const cachedMock = await populated();
const cached = new Registry();
collectDriverMetrics(withLatency(cachedMock, latency), { registry: cached, staleMs: 60_000 });
await cached.metrics();
const trim = () => {
  for (const m of [handMock, scrapeMock, cachedMock]) m.calls.length = 0;
};

await byHand(hand);
await uncached.metrics();
const handTimes: number[] = [];
const scrapeTimes: number[] = [];
const cachedTimes: number[] = [];
let bytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  handTimes.push(await timed(() => byHand(hand)));
  scrapeTimes.push(
    await timed(async () => {
      bytes = (await uncached.metrics()).length;
    }),
  );
  cachedTimes.push(await timed(() => cached.metrics()));
  trim();
}

const h = median(handTimes);
const s = median(scrapeTimes);
const c = median(cachedTimes);
console.log(
  `A scrape of ${CONTAINERS} running containers, 1–2 ms per driver call, ${ROUNDS} rounds, medians:`,
);
console.log(`  reads by hand (8 at a time)   ${h.toFixed(1)} ms`);
console.log(
  `  scrape, stats read again      ${s.toFixed(1)} ms  (${(s / h).toFixed(2)}×)  target ≤ 1.2×: ${s / h <= 1.2 ? 'met' : 'MISSED'}`,
);
console.log(`  scrape within staleMs         ${c.toFixed(1)} ms  (${(c / h).toFixed(2)}×)`);
console.log(`  exposition                    ${(bytes / 1024).toFixed(0)} KiB`);
