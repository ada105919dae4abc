/**
 * Lifecycle benchmark: create → start → wait → logs → remove of one container, through Berth's
 * SwarmDriver and through the Swarm service API called directly with node:http on the Unix
 * sockets (raw-swarm.ts), interleaved in one run so both see the swarm at the same moment. Not a
 * test: it prints figures per phase and whether the target is met (Berth ≤ 1.1× raw, median
 * per lifecycle).
 *
 * The raw side makes what the driver makes for the same config (secure defaults): an internal
 * overlay of the container's own, made before the service and removed after it; a service of
 * one task with the same spec (limits, user, read-only root, every capability dropped, init,
 * log driver local, DNS round robin, restart condition none), created with 0 replicas and then
 * updated to 1 with ForceUpdate; the task polled until it runs (or has run); the end awaited on
 * the node engine's /containers/{id}/wait, then the task polled until terminal; the logs read
 * from the node engine and demultiplexed; the service deleted, the node's container polled
 * until gone, the network deleted. It polls on the driver's schedule (50 ms for the first 3 s,
 * then 250 ms), so the two sides differ in the calls they make, not in patience.
 *
 *   bash scripts/swarm.sh status            # the swarms must be up
 *   pnpm turbo run build --filter=@berth/driver-swarm...
 *   cd packages/driver-swarm && node bench/lifecycle.ts
 *
 * Env: BERTH_TEST_IMAGE (default berth-test/busybox:latest), BENCH_CLUSTER (twoNode or solo,
 * default twoNode), BERTH_SWARM_CLUSTERS (default /run/berth-swarm/clusters.json),
 * BENCH_ITERATIONS (interleaved pairs, default 10), BENCH_WARMUP (pairs not counted, default 1).
 * No placement: the scheduler picks the node, and the table says where each side's tasks ran.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDriver } from './bench-driver.ts';
import { byNode, currentTask, demux, ENDED, EngineError, poll, RawEngine } from './raw-swarm.ts';

const image = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const clusterName = process.env.BENCH_CLUSTER ?? 'twoNode';
const iterations = Number(process.env.BENCH_ITERATIONS ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const session = `berth-bench-${process.pid}`;
const command = ['sh', '-c', 'echo hello; echo world >&2'];
const MB = 1024 * 1024;

const { cluster, driver } = benchDriver(clusterName);

// The raw client's engines, and one more on the manager for the bench's own looks (which node
// a Berth task ran on), so that those calls count on neither side.
const manager = new RawEngine(cluster.manager.socketPath);
const workers = cluster.workers.map((w) => new RawEngine(w.socketPath));
const rawEngines = [manager, ...workers];
const observer = new RawEngine(cluster.manager.socketPath);
const hostnames = new Map([cluster.manager, ...cluster.workers].map((n) => [n.nodeId, n.hostname]));

// The driver reaches Unix sockets through node:http's request, looked up on every call: counted
// here. The raw side holds its own binding of request (and its own agents), so is not.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
const rawAgents = new Set([...rawEngines, observer].map((e) => e.agent));
let driverRequests = 0;
const originalRequest = http.request;
http.request = function (this: unknown, ...args: unknown[]) {
  const options = args[0] as { agent?: unknown } | undefined;
  if (!rawAgents.has(options?.agent as never)) driverRequests += 1;
  return (originalRequest as (...a: unknown[]) => ReturnType<typeof originalRequest>).apply(
    this,
    args,
  );
} as typeof http.request;

const PHASES = ['create', 'start', 'wait', 'logs', 'remove'] as const;
type Phase = (typeof PHASES)[number];

interface Sample {
  phases: Record<Phase, number>;
  total: number;
  requests: number;
  node: string;
}

/** Times consecutive phases; `pause` leaves the bench's own look out of the next phase. */
class Laps {
  readonly phases = {} as Record<Phase, number>;
  #start = performance.now();
  #mark = this.#start;
  #paused = 0;
  lap(phase: Phase): void {
    const now = performance.now();
    this.phases[phase] = now - this.#mark;
    this.#mark = now;
  }
  async pause<T>(look: () => Promise<T>): Promise<T> {
    const from = performance.now();
    try {
      return await look();
    } finally {
      const took = performance.now() - from;
      this.#paused += took;
      this.#mark += took;
    }
  }
  total(): number {
    return performance.now() - this.#start - this.#paused;
  }
}

// The labels the driver stamps (the kit's vocabulary), so the engines store the same.
function labelsFor(token: string): Record<string, string> {
  return {
    'berth.managed': 'true',
    'berth.driver': 'swarm',
    'berth.driver-version': '0.0.0',
    'berth.session': session,
    'berth.unenforced': JSON.stringify([
      { feature: 'noNewPrivileges', path: 'security.noNewPrivileges' },
    ]),
    'berth.create': token,
  };
}

// What services/service-spec.ts makes of { image, command } with the secure defaults.
function serviceSpec(labels: Record<string, string>, networkId: string): unknown {
  return {
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: labels,
        Env: [],
        User: '65534:65534',
        ReadOnly: true,
        Init: true,
        StopGracePeriod: 10_000_000_000,
        TTY: false,
        OpenStdin: false,
        Mounts: [],
        CapabilityDrop: ['ALL'],
        CapabilityAdd: [],
        Args: command,
      },
      Resources: { Limits: { NanoCPUs: 500_000_000, MemoryBytes: 512 * MB, Pids: 100 } },
      RestartPolicy: { Condition: 'none' },
      Placement: { Constraints: [], Preferences: [] },
      Networks: [{ Target: networkId }],
      LogDriver: { Name: 'local' },
    },
    Mode: { Replicated: { Replicas: 0 } },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}

let nodes: Map<string, RawEngine>;

const rawRequests = () => rawEngines.reduce((sum, e) => sum + e.requests, 0);

async function rawLifecycle(): Promise<Sample> {
  const requestsBefore = rawRequests();
  const laps = new Laps();
  const token = randomUUID();
  const labels = labelsFor(token);
  // create: the container's own internal overlay, then the service of no task on it.
  const network = await manager.json<{ Id: string }>('POST', '/networks/create', {
    Name: `berth-own-${token.replaceAll('-', '').slice(0, 20)}`,
    CheckDuplicate: true,
    Driver: 'overlay',
    Internal: true,
    Attachable: false,
    Labels: { ...labels, 'berth.swarm-own-network': token },
  });
  const { ID: id } = await manager.json<{ ID: string }>(
    'POST',
    '/services/create',
    serviceSpec(labels, network.Id),
  );
  laps.lap('create');

  // start: one replica, forced; then the task polled until it runs or has already run.
  const service = await manager.json<{
    Version: { Index: number };
    Spec: { Mode: unknown; TaskTemplate: { ForceUpdate?: number } };
  }>('GET', `/services/${id}`);
  service.Spec.Mode = { Replicated: { Replicas: 1 } };
  service.Spec.TaskTemplate.ForceUpdate = (service.Spec.TaskTemplate.ForceUpdate ?? 0) + 1;
  await manager.call(
    'POST',
    `/services/${id}/update?version=${service.Version.Index}`,
    service.Spec,
  );
  const started = await poll(
    async () => {
      const task = await currentTask(manager, id);
      return task && (task.Status.State === 'running' || ENDED.has(task.Status.State))
        ? task
        : undefined;
    },
    60_000,
    'task running',
  );
  const containerId = started.Status.ContainerStatus?.ContainerID;
  const engine = started.NodeID ? nodes.get(started.NodeID) : undefined;
  if (!containerId || !engine || !started.NodeID) {
    throw new Error(
      `raw: task ${started.Status.State} on ${started.NodeID}: ${started.Status.Err ?? ''}`,
    );
  }
  laps.lap('start');

  // wait: the node's own wait while the task runs, then the manager's word that it ended.
  let task = await currentTask(manager, id);
  if (!task || !ENDED.has(task.Status.State)) {
    await engine.call('POST', `/containers/${containerId}/wait?condition=not-running`);
    task = await poll(
      async () => {
        const now = await currentTask(manager, id);
        return now && ENDED.has(now.Status.State) ? now : undefined;
      },
      5000,
      'task ended',
    );
  }
  const exitCode = task.Status.ContainerStatus?.ExitCode;
  laps.lap('wait');

  // logs: from the node's engine, both streams.
  const logs = demux(await engine.call('GET', `/containers/${containerId}/logs?stdout=1&stderr=1`));
  laps.lap('logs');
  if (exitCode !== 0 || logs.stdout !== 'hello\n' || logs.stderr !== 'world\n') {
    throw new Error(`raw: exit ${exitCode}, logs ${JSON.stringify(logs)}`);
  }

  // remove: the service, then its container gone from the node, then the network.
  await manager.call('DELETE', `/services/${id}`);
  await poll(
    () =>
      engine.call('GET', `/containers/${containerId}/json`).then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof EngineError && error.status === 404) return true;
          throw error;
        },
      ),
    10_000,
    'container gone',
  );
  for (let attempt = 0; ; attempt++) {
    try {
      await manager.call('DELETE', `/networks/${network.Id}`);
      break;
    } catch (error) {
      if (error instanceof EngineError && error.status === 404) break;
      // Still in use: the task's endpoint can linger a moment on its node.
      if (attempt >= 20) throw error;
      await sleep(250);
    }
  }
  laps.lap('remove');
  return {
    phases: laps.phases,
    total: laps.total(),
    requests: rawRequests() - requestsBefore,
    node: hostnames.get(started.NodeID) ?? started.NodeID,
  };
}

async function berthLifecycle(): Promise<Sample> {
  const requestsBefore = driverRequests;
  const laps = new Laps();
  const { id } = await driver.createContainer({ sessionId: session, image, command });
  laps.lap('create');
  await driver.startContainer(id);
  laps.lap('start');
  const { exitCode } = await driver.waitContainer(id);
  laps.lap('wait');
  const logs = await driver.getContainerLogs(id);
  laps.lap('logs');
  // Both streams, as the raw side reads them; their order across the two pipes is not fixed.
  if (exitCode !== 0 || logs.split('\n').sort().join(' ') !== ' hello world') {
    throw new Error(`berth: exit ${exitCode}, logs ${JSON.stringify(logs)}`);
  }
  // Where it ran, asked on the bench's own connection: in neither the time nor the count.
  const nodeId = await laps.pause(async () => (await currentTask(observer, id))?.NodeID ?? '?');
  await driver.removeContainer(id);
  laps.lap('remove');
  return {
    phases: laps.phases,
    total: laps.total(),
    requests: driverRequests - requestsBefore,
    node: hostnames.get(nodeId) ?? nodeId,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function perNode(samples: Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(s.node, (counts.get(s.node) ?? 0) + 1);
  return [...counts].map(([node, n]) => `${node} ${n}`).join(', ');
}

async function main(): Promise<void> {
  const load = loadavg()[0]?.toFixed(2);
  try {
    nodes = await byNode(rawEngines);
    for (let i = 0; i < warmup; i++) {
      await rawLifecycle();
      await berthLifecycle();
    }
    const raw: Sample[] = [];
    const berth: Sample[] = [];
    for (let i = 0; i < iterations; i++) {
      // Alternate who goes first, so neither side always runs on a just-settled swarm.
      if (i % 2 === 0) {
        raw.push(await rawLifecycle());
        berth.push(await berthLifecycle());
      } else {
        berth.push(await berthLifecycle());
        raw.push(await rawLifecycle());
      }
      process.stderr.write(
        `pair ${i + 1}/${iterations}: raw ${raw.at(-1)?.total.toFixed(0)} ms, berth ${berth.at(-1)?.total.toFixed(0)} ms\n`,
      );
    }

    const ratio = median(berth.map((s) => s.total)) / median(raw.map((s) => s.total));
    const row = (name: string, r: number, b: number, digits = 1) => [
      name,
      r.toFixed(digits),
      b.toFixed(digits),
      `${(b / r).toFixed(3)}x`,
    ];
    const rows: string[][] = PHASES.map((phase) =>
      row(
        `${phase} (median ms)`,
        median(raw.map((s) => s.phases[phase])),
        median(berth.map((s) => s.phases[phase])),
      ),
    );
    rows.push([
      ...row(
        'lifecycle (median ms)',
        median(raw.map((s) => s.total)),
        median(berth.map((s) => s.total)),
      ),
      ratio <= 1.1 ? 'ok (<= 1.1x)' : 'MISSED (> 1.1x)',
    ]);
    rows.push([
      'lifecycle min-max (ms)',
      `${Math.min(...raw.map((s) => s.total)).toFixed(0)}-${Math.max(...raw.map((s) => s.total)).toFixed(0)}`,
      `${Math.min(...berth.map((s) => s.total)).toFixed(0)}-${Math.max(...berth.map((s) => s.total)).toFixed(0)}`,
      '',
    ]);
    rows.push(
      row(
        'engine requests per lifecycle (median)',
        median(raw.map((s) => s.requests)),
        median(berth.map((s) => s.requests)),
        0,
      ),
    );
    rows.push(['tasks per node', perNode(raw), perNode(berth), '']);

    console.log(
      `Berth SwarmDriver vs raw Swarm service API (node:http), cluster ${clusterName}, image ${image}`,
    );
    console.log(
      `${iterations} interleaved pairs after ${warmup} warm-up pair(s); load average ${load} at start, ${loadavg()[0]?.toFixed(2)} at end (2 cores)\n`,
    );
    console.log(['', 'raw', 'berth', 'berth/raw', 'target'].join(' | '));
    for (const r of rows) console.log(r.join(' | '));
  } finally {
    await driver.cleanup({ sessionId: session }).catch((error: unknown) => {
      console.error(`cleanup of session ${session} failed: ${(error as Error).message}`);
      process.exitCode = 1;
    });
    await driver.close();
    for (const engine of [...rawEngines, observer]) engine.close();
  }
}

await main();
