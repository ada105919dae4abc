import { expect, it } from 'vitest';
import { SwarmDriver } from '../src/index.js';
import { engineGet } from './support/host.js';
import {
  clusterOptions,
  clusters,
  describeSwarm,
  IMAGE,
  shell,
  useSession,
} from './support/swarm.js';

/** The error a call rejects with; fails the test when it succeeds. */
async function refusal(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected a refusal, the call succeeded');
    },
    (error: unknown) => error as Record<string, unknown>,
  );
}

describeSwarm('Swarm driver policies', 'solo', () => {
  const { driver, session } = useSession('solo', 'policy');

  /** Services of the session on the manager, whoever made them. */
  const services = async () => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`berth.session=${session}`] }));
    const socket = clusters?.solo.manager.socketPath ?? '';
    return engineGet<unknown[]>(socket, `/services?filters=${filters}`);
  };

  it('under strict enforcement the secure defaults are refused: this API cannot set no-new-privileges', async () => {
    const strict = new SwarmDriver(clusterOptions('solo'));
    const caps = await strict.capabilities();
    expect(caps).toMatchObject({
      noNewPrivileges: false,
      ports: false,
      placement: true,
      restarts: true,
    });
    const error = await refusal(strict.createContainer(shell(session, 'true')));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    expect(String(error.message)).toMatch(/noNewPrivileges[\s\S]*API 1\.\d+/);
    // Asking for it off is enforceable, so strict makes it.
    const made = await strict.createContainer(
      shell(session, 'true', { security: { noNewPrivileges: false } }),
    );
    expect(made.unenforced).toBeUndefined();
    expect(await services()).toHaveLength(1);
    await strict.removeContainer(made.id);
  });

  it('refuses bind mounts, root, and networks it did not make, and creates nothing', async () => {
    const cases = [
      { volumes: [{ type: 'bind', source: '/etc', target: '/host-etc' }] },
      { security: { user: '0:0' } },
      { network: 'ingress' },
      { network: 'bridge' },
      { network: 'no-such-network' },
    ];
    for (const extra of cases) {
      const error = await refusal(driver.createContainer(shell(session, 'true', extra)));
      expect(error, JSON.stringify(extra)).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    }
    expect(await services()).toEqual([]);
  });

  it('best-effort lists what it could not enforce on the instance, and publishes no port', async () => {
    const made = await driver.createContainer({
      sessionId: session,
      image: IMAGE,
      command: ['sleep', '5'],
      ports: [{ container: 80 }],
    });
    expect(made.unenforced?.map((u) => u.feature).sort()).toEqual(['noNewPrivileges', 'ports']);
    expect(made.ports).toEqual([]);
    const [service] = await services();
    expect(JSON.stringify(service)).not.toMatch(/PublishedPort/);
    await driver.removeContainer(made.id);
  });

  it("a task the node cannot start (no such image) fails the start with the swarm's reason", async () => {
    const made = await driver.createContainer({
      sessionId: session,
      image: 'berth-test/no-such-image:latest',
      command: ['true'],
    });
    const error = await refusal(driver.startContainer(made.id));
    expect(error).toMatchObject({ code: 'CONTAINER_START_FAILED' });
    expect(String(error.message)).toMatch(/no such image|not found|pull/i);
    const seen = await driver.getContainer(made.id);
    expect(seen?.status, JSON.stringify(seen)).not.toBe('running');
    // Never ran: no exit code is made up for it.
    expect(seen?.exitCode).toBeUndefined();
    await driver.removeContainer(made.id);
  });
});
