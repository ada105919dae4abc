import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerDriver } from '@berth/core';
import { DockerDriver, engineAddress, pingDockerEngine } from '@berth/driver-docker';
import { LocalDriver } from '@berth/driver-local';
import { type Session, SessionEvents, SessionManager } from '@berth/session';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTestImage } from '../../../scripts/test-image.mjs';
import {
  collectDriverMetrics,
  collectSessionMetrics,
  type MetricsServer,
  serveMetrics,
  withMetrics,
} from '../src/index.js';
import { type RunningPrometheus, startPrometheus, which } from './support/prometheus.js';

const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const prometheus = which('prometheus');
const promtool = which('promtool');
const engineUp = await pingDockerEngine({ timeoutMs: 3000 });
const missing = [
  ...(prometheus && promtool ? [] : ['prometheus and promtool (apt-get install prometheus)']),
  ...(engineUp ? [] : ['a Docker engine (scripts/docker-engine.sh)']),
];

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

/** Every query of the dashboard, with its variables as Grafana would fill them for "All". */
async function dashboardQueries(): Promise<{ panel: string; expr: string }[]> {
  const path = createRequire(import.meta.url).resolve('@berth/metrics/dashboard.json');
  const dashboard = JSON.parse(await readFile(path, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      panel: panel.title,
      expr: t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$driver', '.*'),
    })),
  );
}

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(promtool as string, ['check', 'metrics'], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
    child.stdin?.end(text);
  });
}

const spec = (id: string) => ({
  id,
  services: {
    busy: {
      config: {
        image: IMAGE,
        command: ['sh', '-c', 'while :; do :; done'],
        resources: { cpu: 0.5, memory: 64 },
      },
    },
    idle: { config: { image: IMAGE, command: ['sh', '-c', 'echo up; sleep 600'] } },
  },
});

function scraped(run: () => void) {
  if (missing.length === 0) {
    describe('a real Prometheus scraping a workload on the local and Docker drivers', run);
  } else if (inCI) {
    describe('a real Prometheus scraping a workload', () => {
      it('needs its tools', () => {
        throw new Error(`CI=true but this machine lacks ${missing.join(' and ')}`);
      });
    });
  } else {
    const reason = `needs ${missing.join(' and ')}`;
    console.warn(`[@berth/metrics] skipping the Prometheus test: ${reason}`);
    describe.skip(`a real Prometheus scraping a workload [skipped: ${reason}]`, run);
  }
}

scraped(() => {
  const registry = new Registry();
  const events = new SessionEvents();
  const sessions: Session[] = [];
  const bare: ContainerDriver[] = [];
  let stateDir = '';
  let server: MetricsServer | undefined;
  let prom: RunningPrometheus | undefined;
  let background: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    // Missing or built elsewhere: fail at once with the fix.
    await assertTestImage(IMAGE, engineAddress());
    stateDir = await mkdtemp(join(tmpdir(), 'berth-metrics-local-'));
    const local = new LocalDriver({ stateDir });
    const docker = new DockerDriver();
    bare.push(local, docker);
    collectSessionMetrics(events, { registry });
    server = await serveMetrics({ registry, port: 0 });
    prom = await startPrometheus(prometheus as string, new URL(server.url).host);

    const run = Date.now().toString(36);
    for (const driver of bare) {
      collectDriverMetrics(driver, { registry });
      const measured = withMetrics(driver, { registry });
      const manager = new SessionManager(measured, { events });
      sessions.push(await manager.start(spec(`berth-metrics-${driver.name}-${run}`)));
      // Failures with a Berth code, for the error panels.
      await measured.removeContainer('berth-missing-container').catch(() => undefined);
      await measured.stopContainer('berth-missing-container').catch(() => undefined);
    }
    // Calls keep coming while Prometheus is asked, so every rate has fresh samples.
    background = setInterval(() => {
      for (const session of sessions) {
        void session.driver.getContainer(session.containerOf('idle')).catch(() => undefined);
        void session.driver.listContainers({ sessionId: session.id }).catch(() => undefined);
      }
    }, 250);
  }, 120_000);

  afterAll(async () => {
    clearInterval(background);
    for (const session of sessions) await session.end().catch(() => undefined);
    await prom?.stop();
    await server?.close();
    for (const driver of bare) await driver.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('answers every query of the dashboard with data', async () => {
    await prom?.targetUp(30_000);
    const queries = await dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(20);
    const pending = new Map(queries.map((q) => [q.expr, q]));
    const lastSeen = new Map<string, string>();
    const deadline = Date.now() + 60_000;
    while (pending.size > 0 && Date.now() < deadline) {
      for (const { expr } of [...pending.values()]) {
        const answer = await (prom as RunningPrometheus).query(expr);
        const values = answer.data?.result.map((r) => Number(r.value[1])) ?? [];
        lastSeen.set(expr, JSON.stringify(answer).slice(0, 300));
        // Data means a finite value: a quantile with no calls in the window is NaN (an operation
        // idle for the last minute, in a by-operation panel), and a panel of only NaN is empty.
        if (answer.status === 'success' && values.some(Number.isFinite)) {
          pending.delete(expr);
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    const unanswered = [...pending.values()].map(
      (q) => `${q.panel}: ${q.expr} → ${lastSeen.get(q.expr)}`,
    );
    expect(unanswered).toEqual([]);

    // Both drivers, by name, in the series Prometheus holds.
    const drivers = await (prom as RunningPrometheus).query(
      'count by (driver) (berth_driver_operations_total)',
    );
    expect(drivers.data?.result.map((r) => r.metric.driver).sort()).toEqual(
      bare.map((d) => d.name).sort(),
    );
    const cpu = await (prom as RunningPrometheus).query(
      'max by (driver) (berth_container_cpu_percent{session=~"berth-metrics-.*"})',
    );
    // The busy-looping service, on each driver, under its half-core limit.
    for (const r of cpu.data?.result ?? []) expect(Number(r.value[1])).toBeGreaterThan(5);
    expect(cpu.data?.result).toHaveLength(2);
  }, 120_000);

  it('serves an exposition promtool accepts', async () => {
    const text = await (await fetch((server as MetricsServer).url)).text();
    expect(text).toContain('berth_container_memory_bytes{');
    const check = await promtoolCheck(text);
    expect(check).toEqual({ code: 0, output: '' });
  }, 60_000);
});
