/**
 * Multi-tenancy: three tenants on one driver, each with sessions of containers,
 * kept apart by scoping (another tenant's containers do not exist for you), quotas, a network
 * per tenant, and a security policy. On the mock driver: `node src/multi-tenancy.ts`.
 */
import { getErrorMessage, isDriverError } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { SessionManager } from '@berth/session';
import { forTenant, tenantAdmin } from '@berth/tenancy';

const driver = new MockDockerDriver();
const quotas = {
  acme: { containers: 3, sessions: 2, cpu: 2, memoryMb: 2048 },
  globex: { containers: 2, sessions: 1, cpu: 1, memoryMb: 1024 },
  initech: { containers: 1, sessions: 1, cpu: 0.5, memoryMb: 512 },
};
const policy = { images: ['sandbox/*'], requireReadOnlyRootfs: true, requireNoNewPrivileges: true };
const tenants = {
  acme: forTenant(driver, 'acme', { ...policy, quota: quotas.acme }),
  globex: forTenant(driver, 'globex', { ...policy, quota: quotas.globex }),
  initech: forTenant(driver, 'initech', { ...policy, quota: quotas.initech }),
};

const outcome = async (what: string, run: () => Promise<unknown>) => {
  try {
    await run();
    console.log(`${what}: ok`);
  } catch (error) {
    const code = isDriverError(error) ? error.code : 'ERROR';
    const issues = (error as { issues?: { path: unknown[]; message: string }[] }).issues ?? [];
    const why =
      issues.length > 0
        ? issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : getErrorMessage(error).split('\n')[0];
    console.log(`${what}: refused (${code}) ${why}`);
  }
};

const sandbox = { image: 'sandbox/python:3', command: ['sh', '-c', 'sleep 600'] };
const service = (name: string) => ({ [name]: { config: sandbox } });

// Sessions per tenant, through each tenant's own view.
const acme = new SessionManager(tenants.acme);
const globex = new SessionManager(tenants.globex);
const a1 = await acme.start({
  id: 'acme-s1',
  services: { ...service('editor'), ...service('runner') },
});
const g1 = await globex.start({ id: 'globex-s1', services: service('notebook') });
await new SessionManager(tenants.initech).start({ id: 'initech-s1', services: service('shell') });
console.log(`acme sees ${(await tenants.acme.listContainers()).length} containers`);
console.log(`globex sees ${(await tenants.globex.listContainers()).length} container`);

// Scoping: another tenant's container is not there at all.
const editor = a1.containerOf('editor');
console.log(`globex getContainer(acme's editor): ${await tenants.globex.getContainer(editor)}`);
await outcome("globex stops acme's editor", () => tenants.globex.stopContainer(editor));

// Quotas: one session and two containers is all globex may have.
await outcome('globex starts a second session', () =>
  globex.start({ id: 'globex-s2', services: service('extra') }),
);
await outcome('initech asks for 1 cpu', () =>
  tenants.initech.createContainer({ ...sandbox, sessionId: 'initech-s1', resources: { cpu: 1 } }),
);

// Policy: every violation, before anything is made.
await outcome('acme runs an image outside its policy', () =>
  tenants.acme.createContainer({ sessionId: 'acme-s1', image: 'evil/miner', command: ['x'] }),
);
await outcome('acme asks for the host network', () =>
  tenants.acme.createContainer({ ...sandbox, sessionId: 'acme-s1', network: 'host' }),
);

// Networks: each tenant's containers are on a network of the tenant's own.
const netOf = async (view: (typeof tenants)['acme']) =>
  (await view.listNetworks()).map((n) => n.name).join(', ');
console.log(`acme networks: ${await netOf(tenants.acme)}`);
console.log(`globex networks: ${await netOf(tenants.globex)}`);

// The admin view sees every tenant, against its quota.
for (const row of await tenantAdmin(driver, quotas).report()) {
  console.log(
    `admin: ${row.tenantId} ${row.usage.containers} containers, ${row.usage.sessions} sessions${row.full.length > 0 ? `, full: ${row.full.join(', ')}` : ''}`,
  );
}
await a1.end();
await g1.end();
await driver.cleanup({ all: true });
