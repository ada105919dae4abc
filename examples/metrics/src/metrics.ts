/**
 * Metrics collection: a workload of short sessions on one driver, with every
 * operation counted and timed, container resources, driver and container health and session
 * counts served on /metrics for Prometheus (and the package's Grafana dashboard), and every
 * event logged as one JSON line. Runs until SIGINT or SIGTERM, or for BERTH_ROUNDS rounds, and
 * leaves nothing behind either way.
 *
 *   BERTH_DRIVER          driver name (default: local, the embedded default)
 *   BERTH_IMAGE           image of the workload (default: busybox)
 *   BERTH_METRICS_PORT    port on 127.0.0.1 (default 9464; 0 picks a free one)
 *   BERTH_ROUNDS          rounds before exiting (default: until stopped)
 *   BERTH_STATE_DIR       the local driver's state directory (default: its own)
 */
import { createDriver, getErrorMessage } from '@berth/core';
import {
  collectDriverMetrics,
  collectSessionMetrics,
  type EventLogger,
  logEvents,
  serveMetrics,
  withMetrics,
} from '@berth/metrics';
import { SessionEvents, SessionManager } from '@berth/session';

const driverName = process.env.BERTH_DRIVER || 'local';
const image = process.env.BERTH_IMAGE || 'busybox';
const port = Number(process.env.BERTH_METRICS_PORT ?? 9464);
const rounds = process.env.BERTH_ROUNDS ? Number(process.env.BERTH_ROUNDS) : Infinity;

// One JSON object per line, as pino writes them; any pino-compatible logger fits here.
const jsonLines: EventLogger = {
  info: (fields, msg) => console.log(JSON.stringify({ level: 'info', msg, ...fields })),
  warn: (fields, msg) => console.log(JSON.stringify({ level: 'warn', msg, ...fields })),
  error: (fields, msg) => console.log(JSON.stringify({ level: 'error', msg, ...fields })),
};

const options: Record<string, unknown> = {};
if (driverName === 'local' && process.env.BERTH_STATE_DIR) {
  options.stateDir = process.env.BERTH_STATE_DIR;
}
if (driverName.startsWith('mock-')) options.timing = 'realistic';

const bare = await createDriver(driverName, options);
// Operation metrics through the wrapped driver; driver state read from the bare one on scrape.
const driver = withMetrics(bare);
const registry = driver.metricsRegistry;
collectDriverMetrics(bare, { registry });
const events = new SessionEvents();
collectSessionMetrics(events, { registry });
const stopLogging = logEvents(events, jsonLines);
const server = await serveMetrics({ registry, port });
console.log(`metrics at ${server.url} (driver ${driver.name})`);

const manager = new SessionManager(driver, { events });
const stopped = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => stopped.abort());
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    stopped.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** One round: a session with a busy worker and an idle cache, some calls, then its end. */
async function round(n: number): Promise<void> {
  const session = await manager.start(
    {
      id: `metrics-example-${process.pid}-${n}`,
      services: {
        cache: {
          config: { image, name: `cache-${process.pid}-${n}`, command: ['sh', '-c', 'sleep 600'] },
        },
        worker: {
          config: {
            image,
            name: `worker-${process.pid}-${n}`,
            command: ['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 600'],
            resources: { cpu: 0.5, memory: 64 },
          },
          dependsOn: ['cache'],
        },
      },
    },
    { signal: stopped.signal },
  );
  try {
    const worker = session.containerOf('worker');
    await driver.exec(worker, ['sh', '-c', 'echo working; head -c 65536 /dev/zero > /dev/null']);
    await driver.getContainerLogs(worker);
    // Reading a container that is gone fails with a Berth code: the error panels show it.
    await driver.removeContainer(`gone-${n}`).catch(() => undefined);
    await sleep(3000);
  } finally {
    await session.end();
  }
}

let exitCode = 0;
try {
  for (let n = 1; n <= rounds && !stopped.signal.aborted; n++) await round(n);
} catch (error) {
  if (!stopped.signal.aborted) {
    console.error(`metrics example failed: ${getErrorMessage(error)}`);
    exitCode = 1;
  }
} finally {
  stopLogging();
  await server.close();
  await bare.close();
}
process.exit(exitCode);
