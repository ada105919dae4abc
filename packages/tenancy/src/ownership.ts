import {
  type ContainerDriver,
  type ContainerInstance,
  ContainerNotFoundError,
  callSignal,
  isObjectId,
  type Network,
  NetworkNotFoundError,
  type OperationOptions,
  requireObjectId,
  type Volume,
  VolumeNotFoundError,
} from '@berth/core';
import type { TenantNames } from './names.js';

/*
 * Another tenant's object is answered exactly as one that does not exist: the same error class,
 * naming the id as the caller gave it, so a tenant cannot probe for others' ids or names.
 */

// Read as core reads options: a throwing getter or a non-signal is a ConfigurationError.
const signalOnly = (options: unknown): OperationOptions => {
  const signal = callSignal(options, 'call options');
  return signal === undefined ? {} : { signal };
};

export class Ownership {
  constructor(
    private readonly driver: ContainerDriver,
    readonly tenantId: string,
    private readonly names: TenantNames,
  ) {}

  /** The tenant's container by its name in the tenant, or by id; null otherwise. */
  async container(id: unknown, options?: unknown): Promise<ContainerInstance | null> {
    if (!isObjectId(id)) return null;
    const opts = signalOnly(options);
    const inner = this.names.inner(id);
    const byName = isObjectId(inner) ? await this.driver.getContainer(inner, opts) : null;
    const found = byName ?? (await this.driver.getContainer(id, opts));
    return found !== null && found.tenantId === this.tenantId ? found : null;
  }

  /**
   * The tenant's container, for an operation: a malformed id is a ConfigurationError when the
   * operation changes something (as the contract says), not found otherwise.
   */
  async requireContainer(
    id: unknown,
    options: unknown,
    changes: boolean,
  ): Promise<ContainerInstance> {
    if (changes) requireObjectId(id, 'container');
    const found = await this.container(id, options);
    if (found === null) throw new ContainerNotFoundError(String(id));
    return found;
  }

  async volume(id: unknown, options?: unknown): Promise<Volume | null> {
    if (!isObjectId(id)) return null;
    const all = await this.driver.listVolumes(signalOnly(options));
    // An id first: a name that happens to equal another volume's id must not reach that one.
    const inner = this.names.inner(id);
    const found = all.find((v) => v.id === id) ?? all.find((v) => v.name === inner);
    return found !== undefined && found.tenantId === this.tenantId ? found : null;
  }

  async requireVolume(id: unknown, options: unknown): Promise<Volume> {
    requireObjectId(id, 'volume');
    const found = await this.volume(id, options);
    if (found === null) throw new VolumeNotFoundError(String(id));
    return found;
  }

  async network(id: unknown, options?: unknown): Promise<Network | null> {
    if (!isObjectId(id)) return null;
    const all = await this.driver.listNetworks(signalOnly(options));
    const inner = this.names.inner(id);
    // The tenant's own network keeps its engine name: it is named after the tenant already.
    const found =
      all.find((n) => n.id === id) ??
      all.find((n) => n.name === inner) ??
      all.find((n) => n.name === id && n.name.startsWith('tenant-'));
    return found !== undefined && found.tenantId === this.tenantId ? found : null;
  }

  async requireNetwork(id: unknown, options: unknown): Promise<Network> {
    requireObjectId(id, 'network');
    const found = await this.network(id, options);
    if (found === null) throw new NetworkNotFoundError(String(id));
    return found;
  }
}

export { signalOnly };
