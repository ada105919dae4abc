import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import {
  ConflictError,
  type Network,
  type NetworkConfigInput,
  NetworkConfigSchema,
  NetworkNotFoundError,
  parseInput,
} from '@berth/core';
import { readJson, type StateLayout, writeJsonAtomic } from './state-store.js';

interface NetworkRecord {
  id: string;
  name: string;
  sessionId?: string;
  tenantId?: string;
  labels: Record<string, string>;
  internal: boolean;
  createdAt: string;
}

/**
 * Networks are records only (capabilities().networks === 'logical'): processes that join one
 * share the host's network. A container that names no network gets no network at all where
 * bubblewrap runs (an empty network namespace).
 */
export class NetworkStore {
  constructor(
    private readonly layout: StateLayout,
    private readonly driverName: string,
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

  async create(input: NetworkConfigInput): Promise<Network> {
    const config = parseInput(NetworkConfigSchema, input, 'network configuration');
    if ((await this.list()).some((n) => n.name === config.name)) {
      throw new ConflictError(`A network named '${config.name}' already exists`);
    }
    const record: NetworkRecord = {
      id: randomBytes(12).toString('hex'),
      name: config.name,
      ...(config.sessionId ? { sessionId: config.sessionId } : {}),
      ...(config.tenantId ? { tenantId: config.tenantId } : {}),
      labels: config.labels,
      internal: config.internal,
      createdAt: new Date().toISOString(),
    };
    await writeJsonAtomic(this.layout.networkFile(record.id), record);
    return this.toNetwork(record);
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
    await rm(this.layout.networkFile(network.id), { force: true });
    return network;
  }
}
