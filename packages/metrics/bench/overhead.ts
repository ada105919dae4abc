/**
 * Overhead of withMetrics(driver) per successful call: the instant mock bare and wrapped, side
 * by side, in interleaved rounds so drift in the machine hits both alike. Target: at most 5 µs
 * added per call.
 */
import type { ContainerDriver } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { withMetrics } from '../dist/index.js';

const CALLS = 5_000;
const ROUNDS = 15;

async function perCallMicros(driver: ContainerDriver, id: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await driver.getContainer(id);
  return ((performance.now() - started) * 1000) / CALLS;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const bareMock = new MockDockerDriver();
const wrappedMock = new MockDockerDriver();
const wrapped = withMetrics(wrappedMock);
const bareId = (await bareMock.createContainer({ sessionId: 'bench', image: 'x' })).id;
const wrappedId = (await wrapped.createContainer({ sessionId: 'bench', image: 'x' })).id;
// The call log would grow without bound over a benchmark; both sides drop it alike.
const trim = () => {
  bareMock.calls.length = 0;
  wrappedMock.calls.length = 0;
};

await perCallMicros(bareMock, bareId);
await perCallMicros(wrapped, wrappedId);
trim();

const bare: number[] = [];
const withMetricsTimes: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  bare.push(await perCallMicros(bareMock, bareId));
  withMetricsTimes.push(await perCallMicros(wrapped, wrappedId));
  trim();
}

const b = median(bare);
const m = median(withMetricsTimes);
const added = m - b;
console.log(`getContainer on the instant mock, ${ROUNDS} rounds × ${CALLS} calls, medians:`);
console.log(`  bare            ${b.toFixed(2)} µs/call`);
console.log(`  withMetrics()   ${m.toFixed(2)} µs/call  (${(m / b).toFixed(2)}×)`);
console.log(
  `  added           ${added.toFixed(2)} µs/call  target ≤ 5 µs: ${added <= 5 ? 'met' : 'MISSED'}`,
);
