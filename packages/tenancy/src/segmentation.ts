import {
  ConflictError,
  type ContainerDriver,
  type DriverCapabilities,
  type OperationOptions,
  UnsupportedFeatureError,
} from '@berth/core';

/** Tenants' own networks are named `tenant-<id>`; no tenant may create a network so named. */
export const TENANT_NETWORK_PREFIX = 'tenant-';

export function tenantNetworkName(tenantId: string): string {
  return `${TENANT_NETWORK_PREFIX}${tenantId}`;
}

/** The tenant's own network: made on first use, internal where networks are isolated. */
export class Segmentation {
  #capabilities: Promise<DriverCapabilities> | undefined;

  constructor(
    private readonly driver: ContainerDriver,
    private readonly tenantId: string,
    private readonly mode: 'required' | 'best-effort',
  ) {}

  async #networks(options: OperationOptions): Promise<DriverCapabilities['networks']> {
    this.#capabilities ??= this.driver.capabilities(options);
    try {
      return (await this.#capabilities).networks;
    } catch (error) {
      this.#capabilities = undefined; // an outage is not remembered as the answer
      throw error;
    }
  }

  /** Fails closed when the driver cannot keep tenants' networks apart and that is required. */
  async require(options: OperationOptions): Promise<DriverCapabilities['networks']> {
    const networks = await this.#networks(options);
    if (networks !== 'isolated' && this.mode === 'required') {
      throw new UnsupportedFeatureError(
        {
          feature: 'networks',
          path: 'tenant network',
          reason: `driver ${this.driver.name} reports networks: ${String(networks)}, so one tenant's containers could reach another's`,
        },
        "Use a driver whose networks are isolated (Docker; local where the host allows network namespaces), or pass segmentation: 'best-effort' to forTenant to accept that tenants are not kept apart on the network.",
      );
    }
    return networks;
  }

  /** The network a container joins when its config names none (undefined: none at all). */
  async network(options: OperationOptions): Promise<string | undefined> {
    const networks = await this.require(options);
    if (networks === false) return undefined;
    const name = tenantNetworkName(this.tenantId);
    const existing = (await this.driver.listNetworks(options)).find((n) => n.name === name);
    if (existing !== undefined) {
      if (existing.tenantId !== this.tenantId) {
        // Never join a network someone else made under the tenant's name.
        throw new ConflictError(
          `network '${name}' exists but does not belong to tenant '${this.tenantId}': remove it (tenantAdmin(...).cleanup) before this tenant creates containers`,
        );
      }
      return existing.name;
    }
    const made = await this.driver.createNetwork(
      // Logical networks cannot be internal (the driver would refuse): best-effort only.
      { name, tenantId: this.tenantId, internal: networks === 'isolated' },
      options,
    );
    return made.name;
  }
}
