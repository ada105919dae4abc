import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { ConflictError, type Network, type NetworkConfig, NetworkNotFoundError } from '@berth/core';
import type { execa as Execa } from 'execa';
import { readJson, type StateLayout, writeJsonAtomic } from '../state/json-files.js';

/** Where `ip netns` keeps named network namespaces. */
const NETNS_DIR = '/run/netns';

interface NetworkRecord {
  id: string;
  name: string;
  sessionId?: string;
  tenantId?: string;
  labels: Record<string, string>;
  internal: boolean;
  /** The network namespace its containers share, for an internal network where there are any. */
  netns?: string;
  createdAt: string;
}

/** How networks are made on this host: real namespaces through iproute2, or records only. */
export interface NetworkBackend {
  execa: typeof Execa;
  /** iproute2's ip, where the host lets the driver make network namespaces (root). */
  ip?: string;
}

/** Runs `ip` with the given arguments; throws with its stderr when it fails. */
export async function runIp(backend: NetworkBackend, args: string[]): Promise<string> {
  if (!backend.ip) throw new Error('iproute2 is not available');
  const result = await backend.execa(backend.ip, args, {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
    env: {},
    extendEnv: false,
  });
  if (result.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')}: ${String(result.stderr ?? '').trim() || 'failed'}`);
  }
  return String(result.stdout ?? '');
}

/** Makes a named network namespace holding nothing but a loopback that is up. */
export async function makeNamespace(backend: NetworkBackend, name: string): Promise<string> {
  await runIp(backend, ['netns', 'add', name]);
  try {
    await runIp(backend, ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await runIp(backend, ['netns', 'delete', name]).catch(() => undefined);
    throw error;
  }
  return `${NETNS_DIR}/${name}`;
}

/**
 * An internal network is a network namespace of its own, where the host lets the driver make
 * one: its containers share it, reach each other over its loopback, and nothing else (it has
 * no other interface, so no route out and no way to the host's listeners). Other networks are
 * records only: their containers share the host's network. A container that names no network
 * gets an empty network namespace of its own where bubblewrap runs.
 */
export class NetworkStore {
  constructor(
    private readonly layout: StateLayout,
    private readonly driverName: string,
    private readonly backend: () => Promise<NetworkBackend>,
  ) {}

  private toNetwork(record: NetworkRecord): Network {
    return {
      id: record.id,
      name: record.name,
      driver: this.driverName,
      ...(record.sessionId ? { sessionId: record.sessionId } : {}),
      ...(record.tenantId ? { tenantId: record.tenantId } : {}),
      labels: record.labels,
      internal: record.internal,
      createdAt: new Date(record.createdAt),
    };
  }

  /**
   * Makes the network; `isolate` says whether an internal one gets its namespace (false when the
   * host cannot make one and the driver runs best-effort: it is then records only). `config`
   * is checked already; its labels carry Berth's own, which a parse would refuse.
   */
  async create(config: NetworkConfig, isolate: boolean): Promise<Network> {
    if ((await this.list()).some((n) => n.name === config.name)) {
      throw new ConflictError(`A network named '${config.name}' already exists`);
    }
    const id = randomBytes(12).toString('hex');
    const netns =
      config.internal && isolate
        ? await makeNamespace(await this.backend(), `berth-${id}`)
        : undefined;
    const record: NetworkRecord = {
      id,
      name: config.name,
      ...(config.sessionId ? { sessionId: config.sessionId } : {}),
      ...(config.tenantId ? { tenantId: config.tenantId } : {}),
      labels: config.labels,
      internal: config.internal,
      ...(netns ? { netns } : {}),
      createdAt: new Date().toISOString(),
    };
    try {
      await writeJsonAtomic(this.layout.networkFile(record.id), record);
    } catch (error) {
      if (netns) await this.deleteNamespace(netns);
      throw error;
    }
    return this.toNetwork(record);
  }

  /** The namespace a container on this network runs in; undefined for a host-network one. */
  async namespaceOf(idOrName: string): Promise<string | undefined> {
    const network = await this.find(idOrName);
    if (!network) return undefined;
    return (await readJson<NetworkRecord>(this.layout.networkFile(network.id)))?.netns;
  }

  private async deleteNamespace(netns: string): Promise<void> {
    const name = netns.slice(NETNS_DIR.length + 1);
    await runIp(await this.backend(), ['netns', 'delete', name]).catch(() => undefined);
  }

  /** By id or by name. */
  async find(idOrName: string): Promise<Network | undefined> {
    if (/^[0-9a-f]{24}$/.test(idOrName)) {
      const record = await readJson<NetworkRecord>(this.layout.networkFile(idOrName));
      if (record) return this.toNetwork(record);
    }
    return (await this.list()).find((n) => n.name === idOrName);
  }

  async list(): Promise<Network[]> {
    let files: string[];
    try {
      files = await readdir(this.layout.networks);
    } catch {
      return [];
    }
    const records = await Promise.all(
      files
        .filter((f) => f.endsWith('.json'))
        .map((f) => readJson<NetworkRecord>(`${this.layout.networks}/${f}`)),
    );
    return records
      .filter((r): r is NetworkRecord => r !== undefined)
      .map((r) => this.toNetwork(r))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async remove(idOrName: string): Promise<Network> {
    const network = await this.find(idOrName);
    if (!network) throw new NetworkNotFoundError(idOrName);
    const netns = (await readJson<NetworkRecord>(this.layout.networkFile(network.id)))?.netns;
    await rm(this.layout.networkFile(network.id), { force: true });
    if (netns) await this.deleteNamespace(netns);
    return network;
  }
}
