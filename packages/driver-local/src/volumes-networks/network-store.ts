import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { ConflictError, type Network, type NetworkConfig, NetworkNotFoundError } from '@berth/core';
import {
  deleteNamespace,
  makeNamespace,
  type NetworkBackend,
} from '../isolation/network-namespaces.js';
import { readRecord, writeJsonAtomic } from '../state/json-files.js';
import { isBoolean, isMapOf, isObject, isOptional, isString } from '../state/json-shapes.js';
import type { StateLayout } from '../state/state-layout.js';

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

function isNetworkRecord(value: unknown): value is NetworkRecord {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.name) &&
    isOptional(value.sessionId, isString) &&
    isOptional(value.tenantId, isString) &&
    isMapOf(value.labels, isString) &&
    isBoolean(value.internal) &&
    isOptional(value.netns, isString) &&
    isString(value.createdAt)
  );
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
      if (netns) await deleteNamespace(await this.backend(), netns);
      throw error;
    }
    return this.toNetwork(record);
  }

  /** The namespace a container on this network runs in; undefined for a host-network one. */
  async namespaceOf(idOrName: string): Promise<string | undefined> {
    const network = await this.find(idOrName);
    if (!network) return undefined;
    return (await readRecord(this.layout.networkFile(network.id), isNetworkRecord))?.netns;
  }

  /** By id or by name. */
  async find(idOrName: string): Promise<Network | undefined> {
    if (/^[0-9a-f]{24}$/.test(idOrName)) {
      const record = await readRecord(this.layout.networkFile(idOrName), isNetworkRecord);
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
        .map((f) => readRecord(`${this.layout.networks}/${f}`, isNetworkRecord)),
    );
    return records
      .filter((r): r is NetworkRecord => r !== undefined)
      .map((r) => this.toNetwork(r))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async remove(idOrName: string): Promise<Network> {
    const network = await this.find(idOrName);
    if (!network) throw new NetworkNotFoundError(idOrName);
    const netns = (await readRecord(this.layout.networkFile(network.id), isNetworkRecord))?.netns;
    await rm(this.layout.networkFile(network.id), { force: true });
    if (netns) await deleteNamespace(await this.backend(), netns);
    return network;
  }
}
