import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LocalDriver } from '@berth/driver-local';
import { afterAll, expect, it } from 'vitest';

const program = fileURLToPath(new URL('../src/metrics.ts', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Sample lines of a scrape as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

it('serves /metrics for a running workload on the local driver, and leaves nothing at SIGTERM', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-example-metrics-'));
  dirs.push(stateDir);
  const child = spawn(process.execPath, [program], {
    env: {
      ...process.env,
      BERTH_DRIVER: 'local',
      BERTH_METRICS_PORT: '0',
      BERTH_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const logLines: Record<string, unknown>[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const announced = /^metrics at (\S+)/.exec(line);
      if (announced) resolve(announced[1] as string);
      else if (line.startsWith('{')) logLines.push(JSON.parse(line) as Record<string, unknown>);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before serving: ${stderr}`)));
  });
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

  // Polled until the first session is up and measured, with what was last seen on failure.
  const deadline = Date.now() + 45_000;
  let last = new Map<string, number>();
  for (;;) {
    last = samples(await (await fetch(url)).text());
    const ready =
      (last.get('berth_sessions_started_total{driver="local"}') ?? 0) >= 1 &&
      [...last.keys()].some((k) =>
        k.startsWith('berth_container_cpu_percent{driver="local",container="worker-'),
      );
    if (ready) break;
    if (Date.now() > deadline) {
      throw new Error(
        `no measured session in 45 s; last scrape: ${[...last.keys()].join(', ')}; stderr: ${stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const created = [...last].find(([k]) =>
    k.startsWith(
      'berth_driver_operations_total{driver="local",operation="createContainer",outcome="success"}',
    ),
  );
  expect(created?.[1]).toBeGreaterThanOrEqual(2);
  expect(last.get('berth_driver_healthy{driver="local"}')).toBe(1);
  expect(last.get('berth_sessions{driver="local"}')).toBe(1);
  expect(last.get('berth_containers{driver="local",status="running"}')).toBe(2);
  expect(
    [...last.keys()].some((k) =>
      k.startsWith(
        'berth_driver_operation_errors_total{driver="local",operation="removeContainer"',
      ),
    ),
  ).toBe(true);

  // Events as JSON lines, with the session id on each container event.
  const started = logLines.find((l) => l.event === 'container:started');
  expect(started).toMatchObject({ level: 'info', driver: 'local' });
  expect(String(started?.sessionId)).toMatch(/^metrics-example-/);

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const after = new LocalDriver({ stateDir });
  try {
    expect(await after.listContainers()).toEqual([]);
  } finally {
    await after.close();
  }
});
