import { createHash, randomFillSync } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConflictError, type ContainerProcess } from '@berth/core';
import { expect, it } from 'vitest';
import { describeEngine, docker, shell, useSession } from '../support/engine.js';

async function text(stream: AsyncIterable<Uint8Array>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += Buffer.from(chunk).toString('latin1');
  return out;
}

/** The container's processes as the engine's host sees them (`docker top`), commands only. */
async function commandsIn(id: string): Promise<string[]> {
  const top = (await docker.getContainer(id).top()) as { Titles: string[]; Processes: string[][] };
  const column = top.Titles.indexOf('CMD');
  return top.Processes.map((row) => row[column] ?? '');
}

// RSS also counts buffers nobody holds that V8 has not collected yet (it collects external
// memory only after tens of MB of it): collecting now and then makes RSS show what is held.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

describeEngine('streaming processes (spawn) on a real engine', () => {
  const { driver, session } = useSession('processes');

  const running = async (extra: Record<string, unknown> = {}) => {
    const { id } = await driver.createContainer(shell(session, 'sleep 600', extra));
    await driver.startContainer(id);
    return id;
  };

  it('feeds stdin written in several chunks to a program reading it to end-of-file', async () => {
    const id = await running();
    // Bytes 0x02 'e' 'r' 't' 'h' are the driver's mark on its execs (their detach keys): they
    // must reach the program like any others, as must ctrl-p ctrl-q (the engine's default keys).
    const chunks = [
      'first line\n',
      'second ',
      Buffer.from([2, 0x65, 0x72, 0x74, 0x68, 16, 17]),
      '\n',
    ];
    const expected = Buffer.concat(chunks.map((c) => Buffer.from(c)));
    const cat = await driver.spawn(id, ['cat'], { stdin: true });
    const echoed = text(cat.stdout);
    for (const chunk of chunks) {
      await cat.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await cat.closeStdin();
    expect(await echoed).toBe(expected.toString('latin1'));
    expect(await cat.wait()).toMatchObject({ exitCode: 0, timedOut: false });

    const wc = await driver.spawn(id, ['wc', '-c'], { stdin: true });
    const counted = text(wc.stdout);
    for (let i = 0; i < 5; i++) await wc.write('x'.repeat(1000));
    await wc.closeStdin();
    expect((await counted).trim()).toBe('5000');
    expect((await wc.wait()).exitCode).toBe(0);
  });

  it('streams 50 MB through cat with bounded memory, byte for byte', async () => {
    const id = await running();
    const CHUNK = 64 * 1024;
    const CHUNKS = 800; // 50 MiB
    const cat = await driver.spawn(id, ['cat'], { stdin: true });
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let receivedBytes = 0;
    const start = process.memoryUsage().rss;
    let peak = start;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    let written = 0;
    let writtenWhileStalled = -1;
    const reading = (async () => {
      for await (const chunk of cat.stdout) {
        received.update(chunk);
        receivedBytes += chunk.byteLength;
        sample();
        if (writtenWhileStalled === -1 && receivedBytes >= 10 * 1024 * 1024) {
          // The reader stalls: what it does not read must wait in the engine, and the writer
          // with it, not pile up here.
          const before = written;
          await new Promise((resolve) => setTimeout(resolve, 1500));
          writtenWhileStalled = written - before;
        }
      }
    })();
    const chunk = Buffer.alloc(CHUNK);
    for (let i = 0; i < CHUNKS; i++) {
      // One buffer refilled: write() resolves once the bytes are handed on.
      randomFillSync(chunk);
      sent.update(chunk);
      await cat.write(chunk);
      written += CHUNK;
      if (i % 25 === 0) collect();
      sample();
    }
    await cat.closeStdin();
    await reading;
    const exit = await cat.wait();
    const growth = (peak - start) / (1024 * 1024);
    const stalled = writtenWhileStalled / (1024 * 1024);
    console.log(
      `[processes] 50 MiB through cat: rss grew by ${growth.toFixed(1)} MiB at most; ${stalled.toFixed(2)} MiB written while the reader stalled`,
    );
    expect(exit.exitCode).toBe(0);
    expect(receivedBytes).toBe(CHUNK * CHUNKS);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    expect(
      stalled,
      'MiB written while the reader stalled: backpressure reached the writer',
    ).toBeLessThan(8);
    expect(growth, 'rss growth while streaming 50 MiB (MiB)').toBeLessThan(40);
  }, 120_000);

  it('delivers output while the process still runs, on both streams', async () => {
    const id = await running();
    const proc = await driver.spawn(id, [
      'sh',
      '-c',
      'echo early; echo early-err >&2; sleep 3; echo late',
    ]);
    const started = Date.now();
    const out = proc.stdout[Symbol.asyncIterator]();
    const err = proc.stderr[Symbol.asyncIterator]();
    const first = await out.next();
    const firstErr = await err.next();
    const after = Date.now() - started;
    expect(Buffer.from(first.value ?? []).toString()).toBe('early\n');
    expect(Buffer.from(firstErr.value ?? []).toString()).toBe('early-err\n');
    expect(after, 'the first lines came long before the process ended').toBeLessThan(2000);
    const listed = await driver.listProcesses(id);
    expect(listed.find((p) => p.id === proc.id)).toMatchObject({ running: true });
    const rest = await out.next();
    expect(Buffer.from(rest.value ?? []).toString()).toBe('late\n');
    expect((await out.next()).done).toBe(true);
    expect((await err.next()).done).toBe(true);
    expect((await proc.wait()).exitCode).toBe(0);
  });

  it('kills a running process, and only it', async () => {
    const id = await running();
    const sleeper = await driver.spawn(id, ['sleep', '611']);
    expect(sleeper.pid, 'its pid inside the container').toBeGreaterThan(1);
    expect(await commandsIn(id)).toContain('sleep 611');
    await sleeper.kill('SIGKILL');
    expect(await sleeper.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect(await commandsIn(id)).not.toContain('sleep 611');

    const trapped = await driver.spawn(id, [
      'sh',
      '-c',
      "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.2; done",
    ]);
    const lines = trapped.stdout[Symbol.asyncIterator]();
    expect(Buffer.from((await lines.next()).value ?? []).toString()).toBe('ready\n');
    await trapped.kill('SIGTERM');
    expect(Buffer.from((await lines.next()).value ?? []).toString()).toBe('got-term\n');
    expect((await trapped.wait()).exitCode).toBe(42);
    await trapped.kill('SIGKILL'); // ended: nothing to do, no error

    // A shell's children go with it, so its output ends too (they held it open).
    const shell = await driver.spawn(id, ['sh', '-c', 'sleep 616 & sleep 617; echo never']);
    const out = text(shell.stdout);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await commandsIn(id)).toEqual(expect.arrayContaining(['sleep 616', 'sleep 617']));
    await shell.kill('SIGKILL');
    expect((await shell.wait()).exitCode).toBe(137);
    expect(await out).toBe('');
    const left = await commandsIn(id);
    expect(
      left.filter((c) => c.startsWith('sleep 61')),
      `left: ${left.join(', ')}`,
    ).toEqual([]);

    // The container's own process was never touched.
    expect((await driver.getContainer(id))?.status).toBe('running');
  });

  it('says when the kernel killed a process for want of memory', async () => {
    const id = await running({ resources: { memory: 32 } });
    // tail holds what it reads (no newline in it): far more than the container may have.
    const hog = await driver.spawn(id, [
      'sh',
      '-c',
      'head -c 200000000 /dev/zero | tail -c 150000000 >/dev/null',
    ]);
    expect(await hog.wait()).toMatchObject({ exitCode: 137, oomKilled: true });
    // Killed by its caller, after that: not the memory.
    const sleeper = await driver.spawn(id, ['sleep', '618']);
    await sleeper.kill('SIGKILL');
    expect(await sleeper.wait()).toMatchObject({ exitCode: 137, oomKilled: false });
  });

  it('refuses a paused container, saying to resume it, and a stopped one', async () => {
    const id = await running();
    await driver.pauseContainer(id);
    const error = await driver.spawn(id, ['true']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/paused.*resume/);
    await driver.resumeContainer(id);
    const ok = await driver.spawn(id, ['true']);
    expect((await ok.wait()).exitCode).toBe(0);
    await driver.stopContainer(id, { timeout: 1 });
    await expect(driver.spawn(id, ['true'])).rejects.toThrow(/not running.*start/);
  });

  it('says on stderr, with 127, that a command does not exist', async () => {
    const id = await running();
    const proc = await driver.spawn(id, ['no-such-program']);
    const [out, err] = await Promise.all([text(proc.stdout), text(proc.stderr)]);
    expect(out).toBe('');
    expect(err).toMatch(/no-such-program.*not found/);
    expect((await proc.wait()).exitCode).toBe(127);
  });

  it("lists Berth's spawns only, not the engine's health checks or exec calls", async () => {
    const id = await running({
      healthcheck: { command: ['sleep', '5'], intervalMs: 1000, timeoutMs: 10_000 },
    });
    // A health check and a buffered exec are running while the spawn is listed.
    const spawned: ContainerProcess = await driver.spawn(id, ['sleep', '612']);
    const buffered = driver.exec(id, ['sleep', '2']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const engineExecs = (await docker.getContainer(id).inspect()).ExecIDs ?? [];
    expect(engineExecs.length, 'the engine runs three execs').toBeGreaterThanOrEqual(3);
    const listed = await driver.listProcesses(id);
    expect(listed).toEqual([
      {
        id: spawned.id,
        containerId: id,
        command: ['sleep', '612'],
        running: true,
        pid: spawned.pid,
      },
    ]);
    await spawned.kill();
    await spawned.wait();
    await buffered;
    const after = await driver.listProcesses(id);
    expect(after).toEqual([
      { id: spawned.id, containerId: id, command: ['sleep', '612'], running: false, exitCode: 137 },
    ]);
  });
});
