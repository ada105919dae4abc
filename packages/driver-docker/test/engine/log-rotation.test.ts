import { setTimeout as sleep } from 'node:timers/promises';
import { LogLinesLostError } from '@berth/core';
import { expect, it } from 'vitest';
import type { DockerDriver } from '../../src/index.js';
import { describeEngine, shell, useSession } from '../support/engine.js';

/*
 * A container writes 200 000 numbered lines (20 MB) as fast as it can into a log the engine
 * rotates every MiB, while the test reads slower than that. Docker 20.10's own follow skips,
 * repeats and ends early here; the driver must deliver every line once, in order, or say that
 * lines were lost.
 */
const LINES = 200_000;
const WRITER = `sleep 0.5; i=0; while [ $i -lt ${LINES} ]; do printf "%08d ${'x'.repeat(90)}\\n" $i; i=$((i+1)); done`;

interface Reading {
  numbers: number[];
  error: unknown;
}

/** Follows the log, pausing every 200 lines: slower than the writer, faster than a stall. */
async function slowFollow(driver: DockerDriver, id: string): Promise<Reading> {
  const numbers: number[] = [];
  try {
    for await (const { line } of driver.streamLogs(id, { follow: true, stderr: false })) {
      numbers.push(Number.parseInt(line.slice(0, 8), 10));
      if (numbers.length % 200 === 0) await sleep(10);
    }
    return { numbers, error: undefined };
  } catch (error) {
    return { numbers, error };
  }
}

function gaps(numbers: number[]): string[] {
  const found: string[] = [];
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] !== (numbers[i - 1] as number) + 1)
      found.push(`${numbers[i - 1]} → ${numbers[i]}`);
  }
  return found;
}

describeEngine('following a log that rotates under a slow reader', () => {
  // Made at the suite's level, so their cleanup runs after it (a hook made in a test never does).
  // 40 files of 1 MiB hold all 20 MB: nothing is deleted, only rotated.
  const kept = useSession('rotate-kept', {
    logOptions: { 'max-size': '1m', 'max-file': '40', compress: 'false' },
  });
  // Two files of 1 MiB: most of the 20 MB is gone before the reader gets there.
  const lossy = useSession('rotate-lost', { logOptions: { 'max-size': '1m', 'max-file': '2' } });

  it('delivers every line once, in order, while rotation keeps them', async () => {
    const { driver, session } = kept;
    const { id } = await driver.createContainer(shell(session, WRITER));
    await driver.startContainer(id);
    const { numbers, error } = await slowFollow(driver, id);
    expect(error).toBeUndefined();
    expect(gaps(numbers).slice(0, 5)).toEqual([]);
    expect(numbers.length).toBe(LINES);
    expect(numbers.at(-1)).toBe(LINES - 1);
  }, 120_000);

  it('says lines were lost when rotation deleted them before they were read', async () => {
    const { driver, session } = lossy;
    const { id } = await driver.createContainer(shell(session, WRITER));
    await driver.startContainer(id);
    const { numbers, error } = await slowFollow(driver, id);
    expect(error).toBeInstanceOf(LogLinesLostError);
    const lost = error as LogLinesLostError;
    expect(lost.code).toBe('LOG_LINES_LOST');
    expect(lost.containerId).toBe(id);
    // What came before the gap is whole: 0, 1, 2, … without a skip.
    expect(numbers[0]).toBe(0);
    expect(gaps(numbers)).toEqual([]);
    expect(lost.lastDelivered).toBeInstanceOf(Date);
    expect(lost.resumeSince).toBeInstanceOf(Date);
    // The report is true: the log really starts later than the last line delivered + 1, and
    // streaming from `resumeSince` goes on from there without another gap.
    await driver.waitContainer(id);
    const rest: number[] = [];
    for await (const { line } of driver.streamLogs(id, {
      since: lost.resumeSince,
      stderr: false,
    })) {
      rest.push(Number.parseInt(line.slice(0, 8), 10));
    }
    expect(rest[0]).toBeGreaterThan((numbers.at(-1) as number) + 1);
    expect(gaps(rest)).toEqual([]);
    expect(rest.at(-1)).toBe(LINES - 1);
  }, 120_000);
});
