/**
 * Starting a 3-service session (no health checks) against the same three creates and starts
 * issued straight to the driver, side by side in interleaved rounds, on the local driver (real
 * processes, no Docker needed). Target: the session costs at most 1.1× the direct calls.
 * Removal is not timed: it is the same on both sides.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerConfigInput } from '@berth/core';
import { LocalDriver } from '@berth/driver-local';
import { SessionManager } from '../dist/index.js';

const ROUNDS = 30;
const stateDir = mkdtempSync(join(tmpdir(), 'berth-session-bench-'));
const driver = new LocalDriver({ stateDir });
const manager = new SessionManager(driver, { readinessPollMs: 5 });
const config = (name: string): Omit<ContainerConfigInput, 'sessionId'> => ({
  image: 'local',
  command: ['sh', '-c', `echo ${name}; sleep 600`],
});
const names = ['db', 'api', 'worker'];

async function direct(round: number): Promise<number> {
  const sessionId = `direct-${round}`;
  const started = performance.now();
  const ids: string[] = [];
  for (const name of names)
    ids.push((await driver.createContainer({ ...config(name), sessionId })).id);
  await Promise.all(ids.map((id) => driver.startContainer(id)));
  const ms = performance.now() - started;
  await driver.cleanup({ sessionId });
  return ms;
}

async function session(round: number): Promise<number> {
  const started = performance.now();
  const made = await manager.start({
    id: `session-${round}`,
    services: Object.fromEntries(names.map((name) => [name, { config: config(name) }])),
  });
  const ms = performance.now() - started;
  await made.end();
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

try {
  // Warm up both paths (supervisors, warm sandboxes) before measuring.
  await direct(-1);
  await session(-1);
  const directMs: number[] = [];
  const sessionMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      directMs.push(await direct(round));
      sessionMs.push(await session(round));
    } else {
      sessionMs.push(await session(round));
      directMs.push(await direct(round));
    }
  }
  const ratio = median(sessionMs) / median(directMs);
  console.log(`3-service start on the local driver, ${ROUNDS} interleaved rounds (median ms)`);
  console.log(
    `direct creates + starts ${median(directMs).toFixed(2)} | session ${median(sessionMs).toFixed(2)} | ratio ${ratio.toFixed(3)}x | ${ratio <= 1.1 ? 'ok' : 'OVER'} (<= 1.1x)`,
  );
} finally {
  await driver.cleanup({ all: true });
  await driver.close();
  rmSync(stateDir, { recursive: true, force: true });
}
