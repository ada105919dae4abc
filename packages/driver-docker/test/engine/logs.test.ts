import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine } from '@berth/core';
import { expect, it } from 'vitest';
import { describeEngine, shell, suiteTempDir, useSession } from '../support/engine.js';

describeEngine('logs from a real engine', () => {
  // Readable by the container's unprivileged user.
  const hostDir = suiteTempDir('berth-logs-', (dir) => chmodSync(dir, 0o755));
  const { driver, session } = useSession('logs', { allowedRoots: [hostDir] });

  async function run(script: string, extra: Record<string, unknown> = {}): Promise<string> {
    const { id } = await driver.createContainer(shell(session, script, extra));
    await driver.startContainer(id);
    await driver.waitContainer(id);
    return id;
  }

  it('keeps stdout and stderr apart, byte for byte, in order', async () => {
    const id = await run('echo one; echo two >&2; printf "no newline é"; printf "ü\\n" >&2');
    expect(await driver.getContainerLogs(id, { stderr: false })).toBe('one\nno newline é');
    expect(await driver.getContainerLogs(id, { stdout: false })).toBe('two\nü\n');
    const both = await driver.getContainerLogs(id);
    expect(both).toHaveLength('one\nno newline é'.length + 'two\nü\n'.length);
    for (const part of ['one\n', 'two\n', 'ü\n']) expect(both).toContain(part);
  });

  it('returns binary output byte-exact, including bytes that look like frame headers', async () => {
    const payload = Buffer.concat([
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 5, 2, 0, 0, 0]),
      randomBytes(200_000),
      Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0xc3]),
    ]);
    writeFileSync(join(hostDir, 'blob.bin'), payload, { mode: 0o644 });
    const id = await run('cat /in/blob.bin; cat /in/blob.bin >&2', {
      volumes: [{ type: 'bind', source: hostDir, target: '/in', readOnly: true }],
    });
    const { stdout, stderr } = await driver.getContainerLogBuffers(id);
    expect(stdout.equals(payload)).toBe(true);
    expect(stderr.equals(payload)).toBe(true);
  });

  it('returns a 10 MB output whole', async () => {
    const size = 10 * 1024 * 1024;
    // 1 KiB lines: what is measured is the driver's handling of 10 MB, not the engine's per-line cost.
    const id = await run(
      `l=0123456789abcdef; l=$l$l$l$l; l=$l$l$l$l; l=$l$l$l$l; yes $l | head -c ${size}`,
    );
    const logs = await driver.getContainerLogs(id);
    expect(logs.length).toBe(size);
    const line = `${'0123456789abcdef'.repeat(64)}\n`;
    const expected = line.repeat(Math.ceil(size / line.length)).slice(0, size);
    expect(createHash('sha256').update(logs).digest('hex')).toBe(
      createHash('sha256').update(expected).digest('hex'),
    );
  });

  it('honours tail, timestamps and since', async () => {
    const id = await run('for i in 1 2 3 4 5; do echo line$i; done; sleep 1.2; echo late');
    expect(await driver.getContainerLogs(id, { tail: 2 })).toBe('line5\nlate\n');
    expect(await driver.getContainerLogs(id, { tail: 0 })).toBe('');

    const stamped = (await driver.getContainerLogs(id, { timestamps: true })).trim().split('\n');
    expect(stamped).toHaveLength(6);
    for (const line of stamped)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line\d|late/);
    const lateAt = new Date(stamped[5]?.split(' ')[0] ?? '');
    // Inclusive, at millisecond precision: `late` is in, the lines a second earlier are not.
    expect(await driver.getContainerLogs(id, { since: lateAt })).toBe('late\n');
    expect(await driver.getContainerLogs(id, { since: lateAt.getTime() - 60_000 })).toContain(
      'line1',
    );
  });

  it('applies tail to the stream asked for, even when the other one wrote last', async () => {
    // The engine counts tail over both streams; 200 stderr lines after stdout's would leave
    // nothing of stdout in its last 2 messages.
    const id = await run(
      'echo o1; echo o2; echo o3; i=0; while [ $i -lt 200 ]; do echo e$i >&2; i=$((i+1)); done',
    );
    expect(await driver.getContainerLogs(id, { stderr: false, tail: 2 })).toBe('o2\no3\n');
    expect(await driver.getContainerLogs(id, { stderr: false, tail: 50 })).toBe('o1\no2\no3\n');
    expect(await driver.getContainerLogs(id, { stdout: false, tail: 1 })).toBe('e199\n');
    const streamed: string[] = [];
    for await (const line of driver.streamLogs(id, { stderr: false, tail: 2 }))
      streamed.push(line.line);
    expect(streamed).toEqual(['o2', 'o3']);
    const buffers = await driver.getContainerLogBuffers(id, { stderr: false, tail: 1 });
    expect(buffers.stdout.toString()).toBe('o3\n');
  });

  it('streams lines with their stream and time, following until the container exits', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done; printf tail'),
    );
    await driver.startContainer(id);
    const lines: LogLine[] = [];
    for await (const line of driver.streamLogs(id, { follow: true })) lines.push(line);
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual([
      'out1',
      'out2',
      'out3',
      'tail',
    ]);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual([
      'err1',
      'err2',
      'err3',
    ]);
    for (const line of lines) expect(line.timestamp).toBeInstanceOf(Date);
    const times = lines.filter((l) => l.stream === 'stdout').map((l) => l.timestamp.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('stops following when the signal aborts, without waiting for the container', async () => {
    const { id } = await driver.createContainer(
      shell(session, 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.05; done'),
    );
    await driver.startContainer(id);
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const line of driver.streamLogs(id, { follow: true, signal: controller.signal })) {
      seen.push(line.line);
      if (seen.length === 5) controller.abort();
    }
    expect(seen).toEqual(['tick1', 'tick2', 'tick3', 'tick4', 'tick5']);
    expect((await driver.getContainer(id))?.status).toBe('running');
    await driver.stopContainer(id, { force: true });
  });

  it('streams an endless log line by line, never waiting for the whole of it', async () => {
    const { id } = await driver.createContainer(shell(session, 'yes streamed-line'));
    await driver.startContainer(id);
    const controller = new AbortController();
    let count = 0;
    for await (const line of driver.streamLogs(id, { follow: true, signal: controller.signal })) {
      if (line.line !== 'streamed-line') throw new Error(`unexpected line ${line.line}`);
      if (++count === 20_000) controller.abort();
    }
    // The output never ends, so reaching this point means lines were handed out as they came.
    expect(count).toBe(20_000);
    await driver.removeContainer(id, { force: true });
  });
});
