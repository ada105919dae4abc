import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eventually as kitEventually, type PollOptions } from '@berth/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { assertTestImage } from '../../../../scripts/test-image.mjs';
import { SwarmDriver, type SwarmDriverOptions } from '../../src/index.js';

export const IMAGE = process.env.BERTH_TEST_IMAGE ?? 'berth-test/busybox:latest';
const CLUSTERS = process.env.BERTH_SWARM_CLUSTERS ?? '/run/berth-swarm/clusters.json';
const inCI = process.env.CI === 'true' || process.env.CI === '1';

interface NodeEntry {
  socketPath: string;
  nodeId: string;
  hostname: string;
  address: string;
}

/** What scripts/swarm.sh wrote: a one-node swarm (solo) and a two-node one (twoNode). */
export interface Clusters {
  solo: { manager: NodeEntry };
  twoNode: { manager: NodeEntry; workers: NodeEntry[] };
}

function readClusters(): Clusters | undefined {
  try {
    return JSON.parse(readFileSync(CLUSTERS, 'utf8')) as Clusters;
  } catch {
    return undefined;
  }
}

export const clusters = readClusters();

export type ClusterName = keyof Clusters;

/** The driver options that reach a cluster's manager and every node's engine. */
export function clusterOptions(name: ClusterName): SwarmDriverOptions {
  if (!clusters) throw new Error(`no ${CLUSTERS}: run 'bash scripts/swarm.sh up' first`);
  const cluster = clusters[name];
  const workers = 'workers' in cluster ? cluster.workers : [];
  return {
    manager: { socketPath: cluster.manager.socketPath },
    nodes: workers.map((w) => ({ socketPath: w.socketPath })),
  };
}

/**
 * `describe` for tests on a real swarm. Without one: in CI a failing test (they must never
 * pass by not running), elsewhere a skip whose name says what to run.
 */
export function describeSwarm(name: string, cluster: ClusterName, body: () => void): void {
  if (clusters) {
    describe(name, () => {
      beforeAll(async () => {
        const c = clusters[cluster];
        const nodes = [c.manager, ...('workers' in c ? c.workers : [])];
        await Promise.all(nodes.map((n) => assertTestImage(IMAGE, { socketPath: n.socketPath })));
      });
      body();
    });
  } else if (inCI) {
    describe(name, () => {
      it('needs the test swarms', () => {
        throw new Error(
          `CI=true but there is no ${CLUSTERS}: run 'bash scripts/swarm.sh up' first`,
        );
      });
    });
  } else {
    const reason = `no swarm (${CLUSTERS}); run scripts/swarm.sh up`;
    console.warn(`[@berth/driver-swarm] skipping "${name}": ${reason}`);
    describe.skip(`${name} [skipped: ${reason}]`, body);
  }
}

export function sessionId(prefix: string): string {
  return `berth-test-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A driver for one test file's session, whose objects are all removed after the file. */
export function useSession(
  cluster: ClusterName,
  prefix: string,
  options: SwarmDriverOptions = {},
): { driver: SwarmDriver; session: string } {
  const session = sessionId(prefix);
  const driver = new SwarmDriver({
    enforcement: 'best-effort',
    ...clusterOptions(cluster),
    ...options,
  });
  afterAll(async () => {
    if (clusters) await driver.cleanup({ sessionId: session });
  });
  return { driver, session };
}

/** A container config with the test image and session, the given script run by `sh -c`. */
export function shell(session: string, script: string, extra: Record<string, unknown> = {}) {
  return { sessionId: session, image: IMAGE, command: ['sh', '-c', script], ...extra };
}

/** The testkit's wait with this package's defaults (30 s, every 200 ms). */
export function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  return kitEventually(what, look, done, { timeoutMs: 30_000, everyMs: 200, ...options });
}
