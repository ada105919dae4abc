import { truncateSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type LogLine, LogLinesLostError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { parseLogText, timestampMs } from '../src/logs/log-format.js';
import { eventually, makeDriver, shell } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A full collection makes the baseline and the samples comparable; vitest does not expose gc. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const MB = 1024 * 1024;

const tagged = (line: { stream: string; line?: string; text?: string }) =>
  `${line.stream}:${line.line ?? line.text}`;

/** Both log files of a container, merged by timestamp without the driver's reader. */
async function logsOnDisk(stateDir: string, id: string): Promise<string[]> {
  const dir = join(stateDir, 'containers', id);
  const lines: { stream: string; timestamp: string; text: string }[] = [];
  for (const stream of ['stdout', 'stderr']) {
    const text = await readFile(join(dir, `${stream}.log`), 'utf8');
    for (const line of parseLogText(text).lines) lines.push({ ...line, stream });
  }
  lines.sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
  return lines.map(tagged);
}

async function collect(lines: AsyncIterable<LogLine>): Promise<string[]> {
  const seen: string[] = [];
  for await (const line of lines) seen.push(tagged(line));
  return seen;
}

describe('following logs', () => {
  it('yields every line of both streams once, in timestamp order, and ends with the container', async () => {
    const driver = await makeDriver();
    // Over a chunk per stream, written while it is followed, with pauses to catch up.
    const script =
      'i=1; while [ $i -le 3000 ]; do echo "out $i"; echo "err $i" >&2; ' +
      '[ $((i % 500)) -eq 0 ] && sleep 0.05; i=$((i+1)); done; echo last';
    const c = await driver.createContainer(shell(script));
    await driver.startContainer(c.id);
    const seen = await collect(driver.streamLogs(c.id, { follow: true }));
    expect((await driver.getContainer(c.id))?.status).toBe('exited');
    expect(seen).toHaveLength(6001);
    expect(seen).toEqual(await logsOnDisk(driver.stateDir, c.id));
    expect(seen.filter((l) => l.startsWith('stderr:'))).toEqual(
      Array.from({ length: 3000 }, (_, i) => `stderr:err ${i + 1}`),
    );
    expect(seen.at(-1)).toBe('stdout:last');
  });

  it('keeps the order of lines written apart in time across the streams', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell('echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c; sleep 0.2; echo d >&2'),
    );
    await driver.startContainer(c.id);
    expect(await collect(driver.streamLogs(c.id, { follow: true }))).toEqual([
      'stdout:a',
      'stderr:b',
      'stdout:c',
      'stderr:d',
    ]);
  });

  it('starts with the tail of what is there, across both streams', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell(
        'echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three; sleep 1; echo four >&2; sleep 0.05; echo five',
      ),
    );
    await driver.startContainer(c.id);
    await eventually(
      "driver.getContainerLogs(c.id).includes('three')",
      () => driver.getContainerLogs(c.id),
      (seen) => seen.includes('three'),
    );
    expect(await collect(driver.streamLogs(c.id, { follow: true, tail: 2 }))).toEqual([
      'stderr:two',
      'stdout:three',
      'stderr:four',
      'stdout:five',
    ]);
    expect(await collect(driver.streamLogs(c.id, { follow: true, tail: 0 }))).toEqual([]);
    expect(await collect(driver.streamLogs(c.id, { tail: 1, stdout: false }))).toEqual([
      'stderr:four',
    ]);
  });

  it('starts at since, and combines it with tail and a stream selection', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(
      shell(
        'echo old; echo old >&2; sleep 0.5; echo new1; sleep 0.5; echo new2 >&2; sleep 0.05; echo new3',
      ),
    );
    await driver.startContainer(c.id);
    await eventually(
      "driver.getContainerLogs(c.id).includes('old\nold')",
      () => driver.getContainerLogs(c.id),
      (seen) => seen.includes('old\nold'),
    );
    const stamped = await driver.getContainerLogs(c.id, { timestamps: true });
    const since = timestampMs(stamped.split('\n')[1]?.slice(0, 30) ?? '') + 1;
    const following = collect(driver.streamLogs(c.id, { follow: true, since }));
    const late = collect(driver.streamLogs(c.id, { follow: true, since, tail: 1, stdout: false }));
    expect(await following).toEqual(['stdout:new1', 'stderr:new2', 'stdout:new3']);
    expect(await late).toEqual(['stderr:new2']);
    expect(await collect(driver.streamLogs(c.id, { since: new Date(since), tail: 2 }))).toEqual([
      'stderr:new2',
      'stdout:new3',
    ]);
  });

  it('stops when the signal aborts, while idle or with lines waiting', async () => {
    const driver = await makeDriver();
    const idle = await driver.createContainer(shell('echo hello; sleep 600'));
    const busy = await driver.createContainer(shell('seq 1 100000; sleep 600'));
    await driver.startContainer(idle.id);
    await driver.startContainer(busy.id);

    const idleAbort = new AbortController();
    const idleSeen: string[] = [];
    const idleDone = (async () => {
      for await (const line of driver.streamLogs(idle.id, {
        follow: true,
        signal: idleAbort.signal,
      })) {
        idleSeen.push(line.line);
      }
    })();
    await eventually(
      "the idle container's one line followed",
      () => idleSeen,
      (lines) => lines.length === 1,
    );
    // Let it go back to waiting for more before aborting.
    await sleep(200);
    const abortedAt = Date.now();
    idleAbort.abort();
    await idleDone;
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(idleSeen).toEqual(['hello']);

    await eventually(
      "driver.getContainerLogs(busy.id, { tail: 1 }) === '100000\n'",
      () => driver.getContainerLogs(busy.id, { tail: 1 }),
      (seen) => seen === '100000\n',
    );
    const busyAbort = new AbortController();
    const seen: string[] = [];
    for await (const line of driver.streamLogs(busy.id, {
      follow: true,
      signal: busyAbort.signal,
    })) {
      seen.push(line.line);
      if (seen.length === 10) busyAbort.abort();
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 1)));
  });

  it('ends when the container is stopped', async () => {
    const driver = await makeDriver();
    const c = await driver.createContainer(shell('echo hi; sleep 600'));
    await driver.startContainer(c.id);
    const seen: string[] = [];
    for await (const line of driver.streamLogs(c.id, { follow: true })) {
      seen.push(line.line);
      if (line.line === 'hi') await driver.stopContainer(c.id, { timeout: 1 });
    }
    expect(seen).toEqual(['hi']);
    expect((await driver.getContainer(c.id))?.status).toBe('stopped');
  });

  it('says lines were lost when the log file is truncated under a follower', async () => {
    const driver = await makeDriver();
    // 200 lines, a pause in which the test cuts the file, then more lines the follower must
    // not be left to miss silently (they land before its read position).
    const c = await driver.createContainer(
      shell(
        'i=1; while [ $i -le 200 ]; do echo "line $i"; i=$((i+1)); done; sleep 1; echo after; sleep 1',
      ),
    );
    await driver.startContainer(c.id);
    const seen: string[] = [];
    const outcome = await (async () => {
      for await (const line of driver.streamLogs(c.id, { follow: true, stderr: false })) {
        seen.push(line.line);
        if (seen.length === 200)
          truncateSync(join(driver.stateDir, 'containers', c.id, 'stdout.log'), 0);
      }
      return 'ended';
    })().catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(LogLinesLostError);
    expect((outcome as LogLinesLostError).containerId).toBe(c.id);
    expect((outcome as LogLinesLostError).lastDelivered).toBeInstanceOf(Date);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i + 1}`));
  });
});

describe('following logs of a container that writes a lot', () => {
  it('stays bounded in memory while a slow consumer follows 200 MB of output', async () => {
    const gc = exposeGc();
    const driver = await makeDriver();
    const text = 'a'.repeat(60);
    const total = 200_000_000;
    const fullLines = Math.floor(total / (text.length + 1));
    const c = await driver.createContainer(shell(`yes ${text} | head -c ${total}`));

    gc();
    const base = process.memoryUsage();
    const peak = { rss: base.rss, heapUsed: base.heapUsed, external: base.external };
    const sample = () => {
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
      peak.external = Math.max(peak.external, now.external);
    };
    const sampler = setInterval(sample, 20);

    await driver.startContainer(c.id);
    let exited = false;
    const waiting = driver.waitContainer(c.id).then((result) => {
      exited = true;
      return result;
    });
    const started = Date.now();
    let count = 0;
    let slowCount = 0;
    let last: LogLine | undefined;
    let wrong = 0;
    try {
      for await (const line of driver.streamLogs(c.id, { follow: true })) {
        count++;
        last = line;
        if (line.stream !== 'stdout' || (line.line !== text && count <= fullLines)) wrong++;
        if (count % 10_000 === 0) sample();
        // Slow while the producer writes (about 1 MB/s): it finishes long before the consumer.
        if (!exited && count % 200 === 0) {
          slowCount = count;
          await sleep(10);
        }
      }
    } finally {
      clearInterval(sampler);
    }
    sample();
    const growth = {
      rss: (peak.rss - base.rss) / MB,
      heapUsed: (peak.heapUsed - base.heapUsed) / MB,
      external: (peak.external - base.external) / MB,
    };
    console.log(
      `follow of 200 MB: ${count} lines (${slowCount} while the producer ran) in ${Date.now() - started} ms; ` +
        `peak growth rss ${growth.rss.toFixed(1)} MB, heapUsed ${growth.heapUsed.toFixed(1)} MB, ` +
        `external ${growth.external.toFixed(1)} MB`,
    );
    expect(await waiting).toEqual({ exitCode: 0, oomKilled: false });
    // The consumer was still slow and near the start when the 200 MB were all written...
    expect(slowCount).toBeLessThan(fullLines / 4);
    // ...and still got every line, to the partial last one.
    expect(wrong).toBe(0);
    expect(count).toBe(fullLines + 1);
    expect(last?.line).toBe(text.slice(0, total % (text.length + 1)));
    expect(growth.rss).toBeLessThan(64);
    expect(growth.heapUsed).toBeLessThan(64);
  }, 60_000);
});
