/**
 * Overhead of resilient(driver) per successful call: the instant mock bare and wrapped, side by
 * side, in interleaved rounds. Target: at most 10 µs added per call.
 */
import type { ContainerDriver } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { resilient } from '../dist/index.js';

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
const wrapped = resilient(wrappedMock);
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
const withResilience: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  bare.push(await perCallMicros(bareMock, bareId));
  withResilience.push(await perCallMicros(wrapped, wrappedId));
  trim();
}
wrapped.shutdown();

const b = median(bare);
const r = median(withResilience);
const added = r - b;
console.log(`getContainer on the instant mock, ${ROUNDS} rounds × ${CALLS} calls, medians:`);
console.log(`  bare            ${b.toFixed(2)} µs/call`);
console.log(`  resilient()     ${r.toFixed(2)} µs/call  (${(r / b).toFixed(2)}×)`);
console.log(
  `  added           ${added.toFixed(2)} µs/call  target ≤ 10 µs: ${added <= 10 ? 'met' : 'MISSED'}`,
);
