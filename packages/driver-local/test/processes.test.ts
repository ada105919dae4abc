import { createHash, randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ContainerProcess } from '@berth/core';
import { describe, expect, it } from 'vitest';
import type { LocalDriver } from '../src/index.js';
import {
  containerUid,
  eventually,
  hostPidOf,
  isAlive,
  makeDriver,
  procStatus,
  shell,
} from './helpers.js';

/*
 * spawn against real processes: bytes through stdin and out again, memory while they stream,
 * and the isolation a spawned process gets (the same as exec's: cgroup, user, namespaces, no
 * privileges, no descriptor of the driver's).
 */

async function text(stream: AsyncIterable<Uint8Array>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += Buffer.from(chunk).toString();
  return out;
}

async function running(driver: LocalDriver, script = 'sleep 300'): Promise<string> {
  const { id } = await driver.createContainer(shell(script));
  await driver.startContainer(id);
  return id;
}

/**
 * The spawned program as the host sees it: its pid there, found by its pid inside once it runs
 * as the container's user (the chain's last steps may still be switching to it).
 */
function hostPid(driver: LocalDriver, id: string, proc: ContainerProcess): Promise<number> {
  expect(proc.pid, 'its pid inside the container is known').toBeTypeOf('number');
  const uid = containerUid(driver.stateDir, id);
  return hostPidOf(uid, proc.pid as number);
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0', -1);

describe('stdin', () => {
  it('takes data in several chunks, and closing it ends a program reading to end-of-file', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const cat = await driver.spawn(id, ['cat'], { stdin: true });
    const echoed = text(cat.stdout);
    const parts = ['one ', 'two ', Buffer.from('three\n').toString(), 'x'.repeat(70_000)];
    for (const part of parts) await cat.write(part);
    await cat.closeStdin();
    expect(await cat.wait()).toMatchObject({ exitCode: 0, timedOut: false });
    expect(await echoed).toBe(parts.join(''));

    const wc = await driver.spawn(id, ['wc', '-c'], { stdin: true });
    const counted = text(wc.stdout);
    for (let i = 0; i < 10; i++) await wc.write(new Uint8Array(1000).fill(65 + i));
    await wc.closeStdin();
    expect((await wc.wait()).exitCode).toBe(0);
    expect((await counted).trim()).toBe('10000');
  });

  it('streams 50 MB through cat with the memory of the driver bounded', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    // Warmed up first: what is measured is the transfer, not the first spawn's modules.
    await (await driver.spawn(id, ['true'])).wait();
    // Each chunk read is a fresh buffer, garbage at once, which V8 frees when it gets round to
    // it (up to 64 MB of them, by its external-memory limit): unforced, the peak says more of
    // the heap than of the driver. With a minor collection every 4 MB, what is left is what
    // the driver and the kit hold.
    const lazy = await throughCat(driver, id, undefined);
    const held = await throughCat(driver, id, collector());
    console.log(
      `[processes] 50 MB through cat: rss grew by ${held.toFixed(1)} MB at most with a minor GC every 4 MB, ${lazy.toFixed(1)} MB left to V8`,
    );
    expect(held, 'rss growth in MB while 50 MB streamed').toBeLessThan(16);
  });
});

describe('backpressure', () => {
  it('holds back a program whose output is not read, and loses nothing', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const gc = collector();
    gc();
    const baseline = process.memoryUsage().rss;
    const total = 100 * 1024 * 1024;
    const proc = await driver.spawn(id, ['head', '-c', String(total), '/dev/zero']);
    const pid = await hostPid(driver, id, proc);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Unread, it is stuck on a full pipe rather than buffered by the driver.
    expect(isAlive(pid), 'still writing, half a second on').toBe(true);
    gc();
    const unread = (process.memoryUsage().rss - baseline) / (1024 * 1024);
    expect(unread, 'rss growth in MB while 100 MB waits to be read').toBeLessThan(8);
    let bytes = 0;
    for await (const chunk of proc.stdout) bytes += chunk.byteLength;
    expect(bytes).toBe(total);
    expect((await proc.wait()).exitCode).toBe(0);
  });
});

/** V8's collector, exposed at run time (vitest's workers do not run with --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  return () => gc({ type: 'minor' });
}

/** 50 MB written through cat and read back, compared by hash; the peak rss growth in MB. */
async function throughCat(driver: LocalDriver, id: string, gc: (() => void) | undefined) {
  const total = 50 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024);
  const sent = createHash('sha256');
  const received = createHash('sha256');
  gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const cat = await driver.spawn(id, ['cat'], { stdin: true });
    const reading = (async () => {
      let bytes = 0;
      for await (const data of cat.stdout) {
        received.update(data);
        bytes += data.byteLength;
      }
      return bytes;
    })();
    for (let written = 0; written < total; written += chunk.byteLength) {
      // One buffer refilled each time: the write has handed it on once it resolves.
      randomFillSync(chunk);
      sent.update(chunk);
      await cat.write(chunk);
      if (gc && written % (4 * 1024 * 1024) === 0) gc();
    }
    await cat.closeStdin();
    expect(await reading).toBe(total);
    expect((await cat.wait()).exitCode).toBe(0);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  expect(received.digest('hex')).toBe(sent.digest('hex'));
  return (peak - baseline) / (1024 * 1024);
}

describe('output', () => {
  it('arrives while the program still runs, not at its exit', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const proc = await driver.spawn(id, ['sh', '-c', 'echo first; echo oops >&2; exec sleep 600']);
    const pid = await hostPid(driver, id, proc);
    const out = proc.stdout[Symbol.asyncIterator]();
    const err = proc.stderr[Symbol.asyncIterator]();
    expect(Buffer.from((await out.next()).value).toString()).toBe('first\n');
    expect(Buffer.from((await err.next()).value).toString()).toBe('oops\n');
    expect(isAlive(pid), 'the program is still running').toBe(true);
    await proc.kill();
    expect(await proc.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect((await out.next()).done).toBe(true);
  });

  it('is kept for a reader that starts after the program has ended', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const proc = await driver.spawn(id, ['sh', '-c', 'echo out; echo err >&2']);
    // Ended without wait(), which would drop what nobody reads.
    await eventually(
      'driver.listProcesses(id)[0]?.running === false',
      () => driver.listProcesses(id),
      (seen) => seen[0]?.running === false,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const both = await Promise.all([text(proc.stdout), text(proc.stderr)]);
    const exit = await proc.wait();
    expect({ both, exit: exit.exitCode }).toEqual({ both: ['out\n', 'err\n'], exit: 0 });
  });

  it('reports a missing program as exec does: exit 127 and a message', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const proc = await driver.spawn(id, ['no-such-program-berth']);
    const [out, err] = await Promise.all([text(proc.stdout), text(proc.stderr)]);
    expect((await proc.wait()).exitCode).toBe(127);
    expect({ out, err }).toEqual({
      out: '',
      err: "executable 'no-such-program-berth' was not found\n",
    });
  });
});

describe('isolation of a spawned process', () => {
  it("runs in the container's cgroup, namespaces, user and working directory, with no privileges", async () => {
    const driver = await makeDriver();
    const { id } = await driver.createContainer(
      shell('sleep 300', { env: { ROLE: 'worker' }, workingDir: '/usr' }),
    );
    await driver.startContainer(id);
    const uid = containerUid(driver.stateDir, id);
    const report = await driver.spawn(id, ['sh', '-c', 'pwd; echo $ROLE; id -u; echo $$']);
    const [cwd, role, seenUid, seenPid] = (await text(report.stdout)).trim().split('\n');
    expect({ cwd, role, uid: Number(seenUid) }).toEqual({ cwd: '/usr', role: 'worker', uid });
    expect(Number(seenPid), 'the pid it has inside is the one reported').toBe(report.pid);

    const proc = await driver.spawn(id, ['sleep', '600']);
    const pid = await hostPid(driver, id, proc);
    // The host process found is the program itself, once the chain's last step has exec'd it.
    await eventually(
      "cmdline(pid).join(' ') === 'sleep 600 '",
      () => cmdline(pid),
      (seen) => seen.join(' ') === 'sleep 600 ',
    );
    const status = await procStatus(pid);
    expect(Number(status.Uid?.split(/\s+/)[0])).toBe(uid);
    expect(status.CapEff).toBe('0000000000000000');
    expect(status.CapPrm).toBe('0000000000000000');
    expect(status.NoNewPrivs).toBe('1');
    // Inside the container's own pid namespace: the host's pid, then the container's.
    expect(status.NSpid?.split(/\s+/).length).toBe(2);
    const main = JSON.parse(
      readFileSync(`${driver.stateDir}/containers/${id}/run.json`, 'utf8'),
    ) as { pid: number };
    const init = readFileSync(`/proc/${main.pid}/task/${main.pid}/children`, 'utf8').trim();
    expect(readlinkSync(`/proc/${pid}/ns/pid`)).toBe(readlinkSync(`/proc/${init}/ns/pid`));
    expect(readlinkSync(`/proc/${pid}/ns/mnt`)).toBe(readlinkSync(`/proc/${init}/ns/mnt`));
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(id);
    for (const fd of readdirSync(`/proc/${pid}/fd`).map(Number)) {
      if (fd > 2) expect(`${fd}=${readlinkSync(`/proc/${pid}/fd/${fd}`)}`).toBe(`${fd}=/dev/null`);
    }
    await proc.kill();
    await proc.wait();
  });
});

describe('kill', () => {
  /** Says ready, prints got-TERM and exits 3 on SIGTERM: only the program itself can. */
  const TRAPPING = "trap 'echo got-TERM; exit 3' TERM; echo ready; while :; do sleep 0.1; done";

  async function killedWithTerm(driver: LocalDriver, id: string): Promise<void> {
    const proc = await driver.spawn(id, ['sh', '-c', TRAPPING]);
    const out = proc.stdout[Symbol.asyncIterator]();
    expect(Buffer.from((await out.next()).value).toString()).toBe('ready\n');
    await proc.kill('SIGTERM');
    // Sent to a wrapper in between (nsenter's parent), the wrapper would die of it at once
    // and the program would go on: 143, and no got-TERM.
    const exit = await proc.wait();
    let rest = '';
    for (let next = await out.next(); !next.done; next = await out.next()) {
      rest += Buffer.from(next.value).toString();
    }
    expect({ exit: exit.exitCode, rest }).toEqual({ exit: 3, rest: 'got-TERM\n' });
  }

  it('signals the program, not the chain that put it in the container', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    await killedWithTerm(driver, id);
    const proc = await driver.spawn(id, ['sleep', '600']);
    const pid = await hostPid(driver, id, proc);
    await proc.kill('SIGKILL');
    expect(await proc.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect(isAlive(pid)).toBe(false);
  });

  it('signals a script at once, though the kernel runs it as its interpreter', async () => {
    const driver = await makeDriver();
    const id = await running(driver);
    const script = `#!/bin/sh\n${TRAPPING}\n`;
    const made = await driver.exec(id, [
      'sh',
      '-c',
      'printf %s "$0" > trap.sh; chmod +x trap.sh',
      script,
    ]);
    expect(made.exitCode).toBe(0);
    const proc = await driver.spawn(id, ['./trap.sh']);
    const out = proc.stdout[Symbol.asyncIterator]();
    expect(Buffer.from((await out.next()).value).toString()).toBe('ready\n');
    const started = Date.now();
    await proc.kill('SIGTERM');
    expect(Date.now() - started, 'ms before the signal was sent').toBeLessThan(1000);
    expect((await proc.wait()).exitCode).toBe(3);
  });

  it('signals the program without a sandbox too, where the chain execs into it', async () => {
    const driver = await makeDriver({
      enforcement: 'best-effort',
      isolation: { bubblewrap: false },
    });
    const id = await running(driver);
    await killedWithTerm(driver, id);
    const cat = await driver.spawn(id, ['cat'], { stdin: true });
    const echoed = text(cat.stdout);
    await cat.write('no sandbox\n');
    await cat.closeStdin();
    expect((await cat.wait()).exitCode).toBe(0);
    expect(await echoed).toBe('no sandbox\n');
  });
});
