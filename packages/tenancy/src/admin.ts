import type { CleanupResult, ContainerDriver, OperationOptions } from '@berth/core';
import { type TenantQuota, type TenantUsage, usageOf } from './quota.js';
import { checkTenantArguments } from './tenant-view.js';

export interface TenantReport {
  tenantId: string;
  usage: TenantUsage;
  /** The tenant's quota; `{}` for a tenant with objects but no quota given. */
  quota: TenantQuota;
  /** Quotas usage is at or past (at: the next create of that kind is refused). */
  full: (keyof TenantQuota)[];
}

export interface TenantAdmin {
  /** Every tenant with a quota or with objects on the driver, with usage against quota. */
  report(options?: OperationOptions): Promise<TenantReport[]>;
  /** One tenant's usage (zero for a tenant with nothing). */
  usage(tenantId: string, options?: OperationOptions): Promise<TenantReport>;
  /** Removes everything of one tenant: containers, then its networks and volumes. */
  cleanup(tenantId: string, options?: OperationOptions): Promise<CleanupResult>;
}

/**
 * The operator's view across tenants: usage against quota, and per-tenant cleanup. It sees
 * every tenant, so give it only to the platform, never to a tenant.
 */
export function tenantAdmin(
  driver: ContainerDriver,
  quotas: Record<string, TenantQuota> = {},
): TenantAdmin {
  for (const [tenantId, quota] of Object.entries(quotas)) checkTenantArguments(tenantId, { quota });

  const reportOf = (tenantId: string, usage: TenantUsage): TenantReport => {
    const quota = quotas[tenantId] ?? {};
    const full = (Object.keys(quota) as (keyof TenantQuota)[]).filter(
      (key) => (usage[key] ?? 0) >= (quota[key] ?? Number.POSITIVE_INFINITY),
    );
    return { tenantId, usage, quota, full };
  };

  return {
    async report(options) {
      const [containers, volumes, networks] = await Promise.all([
        driver.listContainers({}, options),
        driver.listVolumes(options),
        driver.listNetworks(options),
      ]);
      const tenants = new Set(Object.keys(quotas));
      for (const o of [...containers, ...volumes, ...networks]) {
        if (o.tenantId !== undefined) tenants.add(o.tenantId);
      }
      return [...tenants]
        .sort()
        .map((t) => reportOf(t, usageOf(containers.filter((c) => c.tenantId === t))));
    },
    async usage(tenantId, options) {
      checkTenantArguments(tenantId, undefined);
      const containers = await driver.listContainers({ tenantId }, options);
      return reportOf(tenantId, usageOf(containers.filter((c) => c.tenantId === tenantId)));
    },
    cleanup(tenantId, options) {
      checkTenantArguments(tenantId, undefined);
      return driver.cleanup({ tenantId }, options);
    },
  };
}
