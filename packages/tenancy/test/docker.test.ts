import { request } from 'node:http';
import { ConfigurationError, ContainerNotFoundError } from '@berth/core';
import { DockerDriver, engineAddress } from '@berth/driver-docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTestImage } from '../../../scripts/test-image.mjs';
import { forTenant, tenantAdmin } from '../src/index.js';

const image = 'berth-test/busybox:latest';
const driver = new DockerDriver();
const suffix = `${process.pid}`;
const tenants = { a: `ta${suffix}`, b: `tb${suffix}` };
const a = forTenant(driver, tenants.a);
const b = forTenant(driver, tenants.b);

// Missing or built elsewhere: fail at once with the fix.
beforeAll(() => assertTestImage(image, engineAddress()));

afterAll(async () => {
  for (const t of Object.values(tenants)) await tenantAdmin(driver).cleanup(t);
  await driver.close();
});

// The engine's own answer, not the driver's: what the test checks is what really exists.
function engine(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: '/var/run/docker.sock', path }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

async function addressOf(id: string): Promise<string> {
  const info = (await engine(`/containers/${id}/json`)) as {
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  };
  const [net] = Object.values(info.NetworkSettings.Networks);
  if (!net?.IPAddress) throw new Error(`container ${id} has no address`);
  return net.IPAddress;
}

async function listener(view: typeof a, session: string) {
  const c = await view.createContainer({
    sessionId: session,
    image,
    command: ['sh', '-c', 'while true; do nc -l -p 8080; done'],
  });
  await view.startContainer(c.id);
  return { id: c.id, ip: await addressOf(c.id) };
}

/** Whether `from` connects to `ip`:8080 within three probes, and what the last one said. */
async function probe(view: typeof a, from: string, ip: string) {
  const command = ['sh', '-c', `echo probe | nc -w 2 ${ip} 8080`];
  // A few tries: the listener may not be up yet, and each accepted probe restarts it.
  let last = await view.exec(from, command);
  // This busybox's nc has no -z: a connection that fails is a non-zero exit all the same.
  for (let i = 1; i < 3 && last.exitCode !== 0; i++) last = await view.exec(from, command);
  return {
    reached: last.exitCode === 0,
    says: `${from} → ${ip}:8080, last probe ${JSON.stringify(last)}`,
  };
}

async function expectReach(view: typeof a, from: string, ip: string, reached: boolean) {
  const seen = await probe(view, from, ip);
  expect(seen.reached, seen.says).toBe(reached);
}

describe('tenancy on the real engine', () => {
  it("keeps tenants' networks apart, and one tenant's containers together", async () => {
    const la = await listener(a, 's');
    const lb = await listener(b, 's');
    const ca = await a.createContainer({ sessionId: 's', image, command: ['sleep', '300'] });
    const cb = await b.createContainer({ sessionId: 's', image, command: ['sleep', '300'] });
    await a.startContainer(ca.id);
    await b.startContainer(cb.id);
    await expectReach(a, ca.id, la.ip, true);
    await expectReach(b, cb.id, lb.ip, true);
    await expectReach(a, ca.id, lb.ip, false);
    await expectReach(b, cb.id, la.ip, false);

    // Cross-tenant calls by id are not found, and change nothing on the engine.
    for (const call of [
      () => b.exec(ca.id, ['true']),
      () => b.getContainerLogs(ca.id),
      () => b.stopContainer(ca.id),
      () => b.removeContainer(ca.id, { force: true }),
    ]) {
      await expect(call()).rejects.toThrow(ContainerNotFoundError);
    }
    const state = (await engine(`/containers/${ca.id}/json`)) as { State: { Running: boolean } };
    expect(state.State.Running).toBe(true);
  });

  it('creates nothing on the engine for a config breaking the policy', async () => {
    const strict = forTenant(driver, tenants.a, { images: ['berth-test/*'] });
    const before = ((await engine('/containers/json?all=1')) as unknown[]).length;
    await expect(
      strict.createContainer({
        sessionId: 'p',
        image: 'alpine:latest',
        volumes: [{ type: 'bind', source: '/var/run/docker.sock', target: '/s' }],
        network: 'host',
      }),
    ).rejects.toThrow(ConfigurationError);
    expect(((await engine('/containers/json?all=1')) as unknown[]).length).toBe(before);
  });
});
