import type { ContainerInstance, Network, Volume } from '@berth/core';

/*
 * Names are global on an engine: two tenants asking for `web` would collide, and the refusal
 * would tell one that the other exists. So inside a tenant view every name is the tenant's
 * own: the engine holds `t<length>.<tenant>.<name>` and the tenant sees `<name>`. The length
 * makes the encoding one-to-one (tenant `a` with `b.c` and tenant `a.b` with `c` differ).
 */
export class TenantNames {
  readonly prefix: string;

  constructor(tenantId: string) {
    this.prefix = `t${tenantId.length}.${tenantId}.`;
  }

  /** The engine's name for the tenant's `name`. */
  inner(name: string): string {
    // An empty name stays empty, for the driver to refuse as it would any empty name.
    return name === '' ? name : `${this.prefix}${name}`;
  }

  /** The tenant's name for an engine name (as is, when it is not one of the tenant's). */
  outer(name: string): string {
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }

  container<T extends ContainerInstance>(instance: T): T {
    return { ...instance, name: this.outer(instance.name) };
  }

  volume<T extends Volume>(volume: T): T {
    return { ...volume, id: this.outer(volume.id), name: this.outer(volume.name) };
  }

  network<T extends Network>(network: T): T {
    return { ...network, name: this.outer(network.name) };
  }

  /** A container config's name and volume sources, as the engine will hold them. */
  config(input: unknown): unknown {
    if (typeof input !== 'object' || input === null) return input;
    const config = input as { name?: unknown; volumes?: unknown };
    const out: Record<string, unknown> = { ...config };
    if (typeof config.name === 'string') out.name = this.inner(config.name);
    if (Array.isArray(config.volumes)) {
      out.volumes = config.volumes.map((mount: unknown) => {
        if (typeof mount !== 'object' || mount === null) return mount;
        const m = mount as { type?: unknown; source?: unknown };
        return m.type !== 'bind' && typeof m.source === 'string'
          ? { ...m, source: this.inner(m.source) }
          : m;
      });
    }
    return out;
  }
}
