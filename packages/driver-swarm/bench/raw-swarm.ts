/**
 * The raw side of the swarm benchmarks: Engine API calls over the Unix sockets with node:http,
 * as a client with no library would make them, one keep-alive agent per engine; and the
 * cluster description scripts/swarm.sh writes, which both sides of a benchmark read.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const CLUSTERS = process.env.BERTH_SWARM_CLUSTERS ?? '/run/berth-swarm/clusters.json';

interface NodeEntry {
  socketPath: string;
  nodeId: string;
  hostname: string;
}

/** A cluster of /run/berth-swarm/clusters.json: the manager's socket and the workers'. */
export function readCluster(name: string): { manager: NodeEntry; workers: NodeEntry[] } {
  let all: Record<string, { manager: NodeEntry; workers?: NodeEntry[] }>;
  try {
    all = JSON.parse(readFileSync(CLUSTERS, 'utf8'));
  } catch {
    throw new Error(`no ${CLUSTERS}: run 'bash scripts/swarm.sh up' first`);
  }
  const cluster = all[name];
  if (!cluster)
    throw new Error(`no cluster ${name} in ${CLUSTERS} (${Object.keys(all).join(', ')})`);
  return { manager: cluster.manager, workers: cluster.workers ?? [] };
}

/** A reply the engine refused, with its status, so callers can tell 404 and 409 apart. */
export class EngineError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** One engine on a Unix socket; `requests` counts the calls made to it. */
export class RawEngine {
  readonly socketPath: string;
  readonly agent = new Agent({ keepAlive: true });
  requests = 0;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  call(method: string, path: string, body?: unknown): Promise<Buffer> {
    this.requests += 1;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const data = Buffer.concat(chunks);
            const status = res.statusCode ?? 500;
            if (status >= 300) {
              reject(
                new EngineError(`${method} ${path}: ${status} ${data.toString().trim()}`, status),
              );
            } else resolve(data);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const data = await this.call(method, path, body);
    return (data.length === 0 ? undefined : JSON.parse(data.toString())) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `?filters=` as the Engine API takes it. */
export function filters(value: Record<string, string[]>): string {
  return `filters=${encodeURIComponent(JSON.stringify(value))}`;
}

/** Each engine's swarm node id (`/info`), asked once: which engine runs which node's tasks. */
export async function byNode(engines: RawEngine[]): Promise<Map<string, RawEngine>> {
  const map = new Map<string, RawEngine>();
  for (const engine of engines) {
    const info = await engine.json<{ Swarm?: { NodeID?: string } }>('GET', '/info');
    if (info.Swarm?.NodeID) map.set(info.Swarm.NodeID, engine);
  }
  return map;
}

/**
 * Polls `look` until it returns a value, on the driver's own schedule (every 50 ms for the
 * first 3 s, then every 250 ms), so the two sides differ in their calls, not their patience.
 */
export async function poll<T>(
  look: () => Promise<T | undefined>,
  deadlineMs: number,
  what: string,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const seen = await look();
    if (seen !== undefined) return seen;
    if (Date.now() - start >= deadlineMs)
      throw new Error(`raw: ${what} not within ${deadlineMs} ms`);
    await sleep(Date.now() - start < 3000 ? 50 : 250);
  }
}

/** The frames of a logs reply, stdout and stderr apart: what any client has to do. */
export function demux(data: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  for (let offset = 0; offset + 8 <= data.length; ) {
    const size = data.readUInt32BE(offset + 4);
    (data[offset] === 2 ? out.stderr : out.stdout).push(
      data.subarray(offset + 8, offset + 8 + size),
    );
    offset += 8 + size;
  }
  return {
    stdout: Buffer.concat(out.stdout).toString(),
    stderr: Buffer.concat(out.stderr).toString(),
  };
}

export interface RawTask {
  ID: string;
  NodeID?: string;
  CreatedAt: string;
  DesiredState: string;
  Status: {
    State: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

/** A task that ran and ended, or never will run. */
export const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

/** The service's newest task, or undefined before the swarm made one. */
export async function currentTask(
  manager: RawEngine,
  serviceId: string,
): Promise<RawTask | undefined> {
  const tasks = await manager.json<RawTask[]>('GET', `/tasks?${filters({ service: [serviceId] })}`);
  return tasks.sort((a, b) => Date.parse(b.CreatedAt) - Date.parse(a.CreatedAt))[0];
}
