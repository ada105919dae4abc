/**
 * Spread benchmark: BENCH_CONTAINERS containers (default 50) with `placement: { spread:
 * ['node.id'] }`, created and started all at once through Berth's SwarmDriver over the swarm's
 * nodes; then the wall time until every one runs, how many landed on each node, and whether any
 * was lost: each must run, be listed by listContainers({ sessionId }), and have its task's
 * container running on the node engine of the node it reports. Then all are removed at once and
 * neither the manager (services, networks) nor any node (containers) may keep anything of the
 * session. Not a test: it prints a table, and exits non-zero only when a container was lost or
 * something was left behind.
 *
 *   bash scripts/swarm.sh status            # the swarms must be up
 *   pnpm turbo run build --filter=@berth/driver-swarm...
 *   cd packages/driver-swarm && node bench/spread.ts
 *
 * Env: BERTH_TEST_IMAGE (default berth-test/busybox:latest), BENCH_CLUSTER (twoNode or solo,
 * default twoNode), BERTH_SWARM_CLUSTERS (default /run/berth-swarm/clusters.json),
 * BENCH_CONTAINERS (default 50), BENCH_SPREAD (the spread key, default node.id; empty for no
 * placement at all, to compare with the scheduler's own choice). Each container asks for 32 MB
 * and 0.1 CPU, so they all fit.
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ContainerInstance } from '@berth/core';
import { benchDriver } from './bench-driver.ts';
import { byNode, filters, RawEngine } from './raw-swarm.ts';

const image = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const clusterName = process.env.BENCH_CLUSTER ?? 'twoNode';
const count = Number(process.env.BENCH_CONTAINERS ?? 50);
const spreadKey = process.env.BENCH_SPREAD ?? 'node.id';
const session = `berth-bench-spread-${process.pid}`;
const sessionLabel = `berth.session=${session}`;

const { cluster, driver } = benchDriver(clusterName);
// The bench's own looks at the engines, past the driver.
const manager = new RawEngine(cluster.manager.socketPath);
const engines = [manager, ...cluster.workers.map((w) => new RawEngine(w.socketPath))];
const hostnames = new Map([cluster.manager, ...cluster.workers].map((n) => [n.nodeId, n.hostname]));

// The driver reaches Unix sockets through node:http's request, looked up on every call: its
// requests are counted here. The bench's own (RawEngine) hold their own binding, so are not.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
let driverRequests = 0;
const originalRequest = http.request;
http.request = function (this: unknown, ...args: unknown[]) {
  driverRequests += 1;
  return (originalRequest as (...a: unknown[]) => ReturnType<typeof originalRequest>).apply(
    this,
    args,
  );
} as typeof http.request;

interface EngineContainer {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The session's containers on each node engine, by node id; `all` includes stopped ones. */
async function onNodes(
  nodes: Map<string, RawEngine>,
  all: boolean,
): Promise<Map<string, EngineContainer[]>> {
  const found = new Map<string, EngineContainer[]>();
  for (const [nodeId, engine] of nodes) {
    found.set(
      nodeId,
      await engine.json<EngineContainer[]>(
        'GET',
        `/containers/json?all=${all ? 1 : 0}&${filters({ label: [sessionLabel] })}`,
      ),
    );
  }
  return found;
}

async function main(): Promise<boolean> {
  const load = loadavg()[0]?.toFixed(2);
  const nodes = await byNode(engines);
  const lost = new Map<string, string>();
  const left: string[] = [];
  const ids: string[] = [];
  const rows: string[][] = [];

  // All at once: each container made, then started; its own time to running kept too.
  const t0 = performance.now();
  const requests0 = driverRequests;
  const each: number[] = [];
  const createdAt: number[] = [];
  const made = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      let id: string | undefined;
      try {
        id = (
          await driver.createContainer({
            sessionId: session,
            image,
            command: ['sleep', '600'],
            resources: { memory: 32, cpu: 0.1 },
            ...(spreadKey === '' ? {} : { placement: { spread: [spreadKey] } }),
          })
        ).id;
        ids.push(id);
        createdAt.push(performance.now() - t0);
        await driver.startContainer(id);
        each.push(performance.now() - t0);
        return id;
      } catch (error) {
        lost.set(id ?? `#${i} (not created)`, `create/start failed: ${reason(error)}`);
        throw error;
      }
    }),
  );
  const allRunningMs = performance.now() - t0;
  const started = made.filter((r) => r.status === 'fulfilled').length;
  const startRequests = driverRequests - requests0;

  // None lost: running and on a node, listed for the session, its task's container on that node.
  const listed = new Map(
    (await driver.listContainers({ sessionId: session })).map((c): [string, ContainerInstance] => [
      c.id,
      c,
    ]),
  );
  const containers = await onNodes(nodes, false);
  const perNode = new Map<string, number>([...nodes.keys()].map((n) => [n, 0]));
  for (const id of ids) {
    if (lost.has(id)) continue;
    const instance = listed.get(id) ?? (await driver.getContainer(id));
    if (!listed.has(id)) {
      lost.set(id, `not listed by listContainers (getContainer: ${instance?.status ?? 'none'})`);
      continue;
    }
    if (instance?.status !== 'running') {
      lost.set(id, `status ${instance?.status ?? 'none'}`);
      continue;
    }
    const nodeId = instance.node?.id;
    if (!nodeId) {
      lost.set(id, 'running on no node');
      continue;
    }
    perNode.set(nodeId, (perNode.get(nodeId) ?? 0) + 1);
    const task = containers
      .get(nodeId)
      ?.find((c) => c.Labels['com.docker.swarm.service.id'] === id && c.State === 'running');
    if (!task) {
      const elsewhere = [...containers].find(([, list]) =>
        list.some((c) => c.Labels['com.docker.swarm.service.id'] === id),
      )?.[0];
      lost.set(
        id,
        `reports node ${hostnames.get(nodeId) ?? nodeId}, whose engine runs no container of it${elsewhere ? ` (found on ${hostnames.get(elsewhere) ?? elsewhere})` : ''}`,
      );
    }
  }
  rows.push([`containers running (of ${count})`, `${count - lost.size}`]);
  rows.push([`wall time to all ${ids.length} created (ms)`, Math.max(...createdAt).toFixed(0)]);
  rows.push([`wall time to all ${started} running (ms)`, allRunningMs.toFixed(0)]);
  rows.push([
    'per container, to running (ms, median / max)',
    `${median(each).toFixed(0)} / ${Math.max(...each).toFixed(0)}`,
  ]);
  rows.push(['driver requests to create and start them all', String(startRequests)]);
  for (const [nodeId, n] of perNode)
    rows.push([`on ${hostnames.get(nodeId) ?? nodeId}`, String(n)]);

  // Removed all at once; then nothing of the session may be left anywhere.
  const r0 = performance.now();
  const requests1 = driverRequests;
  const removed = await Promise.allSettled(
    ids.map((id) => driver.removeContainer(id, { force: true })),
  );
  rows.push([`wall time to all ${ids.length} removed (ms)`, (performance.now() - r0).toFixed(0)]);
  rows.push(['driver requests to remove them all', String(driverRequests - requests1)]);
  removed.forEach((r, i) => {
    if (r.status === 'rejected') left.push(`remove of ${ids[i]} failed: ${reason(r.reason)}`);
  });
  for (const [nodeId, list] of await onNodes(nodes, true)) {
    for (const c of list)
      left.push(
        `container ${c.Id.slice(0, 12)} (${c.State}) on ${hostnames.get(nodeId) ?? nodeId}`,
      );
  }
  const services = await manager.json<{ ID: string }[]>(
    'GET',
    `/services?${filters({ label: [sessionLabel] })}`,
  );
  for (const s of services) left.push(`service ${s.ID}`);
  const networks = await manager.json<{ Id: string; Name: string }[]>(
    'GET',
    `/networks?${filters({ label: [sessionLabel] })}`,
  );
  for (const n of networks) left.push(`network ${n.Name}`);
  rows.push(['left behind', String(left.length)]);

  const how = spreadKey === '' ? 'no placement' : `placement spread over ${spreadKey}`;
  console.log(
    `Berth SwarmDriver: ${count} containers at once, ${how}, cluster ${clusterName}, image ${image}`,
  );
  console.log(`load average ${load} at start, ${loadavg()[0]?.toFixed(2)} at end (2 cores)\n`);
  for (const row of rows) console.log(row.join(' | '));
  console.log('');
  if (lost.size === 0) console.log('none lost');
  else for (const [id, why] of lost) console.log(`LOST ${id}: ${why}`);
  if (left.length === 0) console.log('nothing left behind');
  else for (const what of left) console.log(`LEFT ${what}`);
  return lost.size === 0 && left.length === 0;
}

let ok = false;
try {
  ok = await main();
} finally {
  await driver.cleanup({ sessionId: session }).catch((error: unknown) => {
    console.error(`cleanup of session ${session} failed: ${reason(error)}`);
    ok = false;
  });
  await driver.close();
  for (const engine of engines) engine.close();
}
process.exitCode = ok ? 0 : 1;
