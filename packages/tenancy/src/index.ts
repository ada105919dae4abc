// First: on an older Node.js this import throws the one clear error (see node-guard.ts).
import './node-guard.js';

export { type TenantAdmin, type TenantReport, tenantAdmin } from './admin.js';
export type { MaxResources, TenantPolicy } from './policy.js';
export type { TenantQuota, TenantUsage } from './quota.js';
export { TENANT_NETWORK_PREFIX, tenantNetworkName } from './segmentation.js';
export { forTenant, type TenantOptions } from './tenant-view.js';
