import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('three tenants kept apart by scoping, quotas, networks and policies', async () => {
  const program = fileURLToPath(new URL('../src/multi-tenancy.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [program], { timeout: 60_000 });
  const out = stdout.split('\n').filter(Boolean);
  expect(out.slice(0, 3)).toEqual([
    'acme sees 2 containers',
    'globex sees 1 container',
    "globex getContainer(acme's editor): null",
  ]);
  // Another tenant's container answers exactly as one that does not exist.
  expect(out[3]).toMatch(
    /^globex stops acme's editor: refused \(CONTAINER_NOT_FOUND\) Container not found: [0-9a-f]{64}$/,
  );
  expect(out[4]).toMatch(
    /^globex starts a second session: refused \(SESSION_START_FAILED\) .*tenant\.sessions.*Rolled back: nothing had been made\.$/,
  );
  expect(out[5]).toMatch(
    /^initech asks for 1 cpu: refused \(RESOURCE_LIMIT_EXCEEDED\) .*tenant\.cpu/,
  );
  expect(out[6]).toMatch(
    /^acme runs an image outside its policy: refused \(CONFIGURATION_ERROR\) image: .*sandbox\/\*/,
  );
  expect(out[7]).toMatch(
    /^acme asks for the host network: refused \(CONFIGURATION_ERROR\) network: /,
  );
  expect(out.slice(8)).toEqual([
    'acme networks: tenant-acme',
    'globex networks: tenant-globex',
    'admin: acme 2 containers, 1 sessions',
    'admin: globex 1 containers, 1 sessions, full: sessions',
    'admin: initech 1 containers, 1 sessions, full: containers, sessions, cpu, memoryMb',
  ]);
});
