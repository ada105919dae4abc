import { NetworkNotFoundError } from '@berth/core';
import { expect, it } from 'vitest';
import {
  configurationError,
  containersMarked,
  describeEngine,
  docker,
  IMAGE,
  marker,
  shell,
  suiteTempDir,
  useSession,
  volumeExists,
} from '../support/engine.js';

/*
 * What a config may ask of the engine. Before, the engine took all of it: binds of /, /etc and
 * the engine's own socket; the host's network stack or another container's; another session's
 * volume (or one Berth never made), read as if it were the container's own.
 */

describeEngine('Docker driver create policy on a real engine', () => {
  const root = suiteTempDir('berth-allowed-');
  const plain = useSession('policy');
  const everywhere = useSession('policy-roots', { allowedRoots: ['/'] });
  const bridged = useSession('policy-bridge', { allowNetworks: ['bridge'] });
  const inRoot = useSession('policy-in-root', { allowedRoots: [root] });

  it('allows no bind mount by default, and never the host root, /etc or the engine socket', async () => {
    const labels = marker();
    expect(
      (
        await configurationError(
          plain.driver.createContainer(
            shell(plain.session, 'true', {
              labels,
              volumes: [{ type: 'bind', source: root, target: '/data' }],
            }),
          ),
        )
      ).message,
    ).toContain('allowedRoots');
    for (const source of [
      '/',
      '/etc',
      '/var/run/docker.sock',
      '/run/docker.sock',
      '/var/lib/docker',
      '/root',
      '/proc',
    ]) {
      const error = await configurationError(
        everywhere.driver.createContainer(
          shell(everywhere.session, 'true', {
            labels,
            volumes: [{ type: 'bind', source, target: '/data' }],
          }),
        ),
      );
      expect(error.issues[0]?.path).toEqual(['volumes', 0, 'source']);
    }
    expect(await containersMarked(labels)).toBe(0);
    // Inside an allowed root, it mounts.
    const { id } = await inRoot.driver.createContainer(
      shell(inRoot.session, 'ls /data', {
        volumes: [{ type: 'bind', source: root, target: '/data' }],
      }),
    );
    expect(id).toBeTruthy();
  });

  it("refuses the host's network, another container's and networks Berth did not make", async () => {
    const labels = marker();
    const other = await plain.driver.createContainer(shell(plain.session, 'sleep 300'));
    for (const network of ['host', `container:${other.id}`, 'bridge']) {
      const error = await configurationError(
        plain.driver.createContainer(shell(plain.session, 'true', { labels, network })),
      );
      expect(error.issues[0]?.path).toEqual(['network']);
    }
    await expect(
      plain.driver.createContainer(shell(plain.session, 'true', { labels, network: 'berth-nope' })),
    ).rejects.toBeInstanceOf(NetworkNotFoundError);
    expect(await containersMarked(labels)).toBe(0);
    // Listed by name, a foreign network is allowed; a network of Berth's always is.
    const onBridge = await bridged.driver.createContainer(
      shell(bridged.session, 'true', { network: 'bridge' }),
    );
    expect((await docker.getContainer(onBridge.id).inspect()).HostConfig.NetworkMode).toBe(
      'bridge',
    );
    const net = await plain.driver.createNetwork({
      name: `${plain.session}-own`,
      sessionId: plain.session,
    });
    expect(
      (await plain.driver.createContainer(shell(plain.session, 'true', { network: net.name }))).id,
    ).toBeTruthy();
  });

  it("mounts no other session's volume, nor one Berth never made", async () => {
    const labels = marker();
    const theirs = `${plain.session}-theirs`;
    await plain.driver.createVolume({ name: theirs, sessionId: `${plain.session}-owner` });
    const foreign = `${plain.session}-foreign`;
    await docker.createVolume({ Name: foreign });
    try {
      for (const source of [theirs, foreign]) {
        const error = await configurationError(
          plain.driver.createContainer(
            shell(plain.session, 'cat /data/*', { labels, volumes: [{ source, target: '/data' }] }),
          ),
        );
        expect(error.message).toContain('another session');
      }
      expect(await containersMarked(labels)).toBe(0);
    } finally {
      await docker.getVolume(foreign).remove();
      await plain.driver.cleanup({ sessionId: `${plain.session}-owner` });
    }
  });

  it('refuses volume driver options, with which a volume would mount any host path', async () => {
    const name = `${plain.session}-bindvol`;
    const error = await configurationError(
      plain.driver.createVolume({
        name,
        sessionId: plain.session,
        options: { type: 'none', o: 'bind', device: '/etc' },
      }),
    );
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['options']);
    expect(await volumeExists(name)).toBe(false);
    // A driver the engine does not have is refused before the engine is asked.
    await expect(
      plain.driver.createVolume({ name, sessionId: plain.session, driver: 'no-such-plugin' }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    // The default driver, named, works and is reported.
    const volume = await plain.driver.createVolume({
      name,
      sessionId: plain.session,
      driver: 'local',
    });
    expect(volume).toMatchObject({ name, driver: 'local' });
    expect(volume.mountpoint).toMatch(/^\//);
    await plain.driver.removeVolume(name);
  });

  it('keeps an internal network’s isolation options its own, and takes no network driver but bridge', async () => {
    const name = `${plain.session}-net-opts`;
    const error = await configurationError(
      plain.driver.createNetwork({
        name,
        sessionId: plain.session,
        options: { 'com.docker.network.bridge.inhibit_ipv4': 'false' },
      }),
    );
    expect(error.issues.map((i) => i.path.join('.'))).toEqual([
      'options.com.docker.network.bridge.inhibit_ipv4',
    ]);
    await expect(
      plain.driver.createNetwork({ name, sessionId: plain.session, driver: 'macvlan' }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_FEATURE' });
    expect((await docker.listNetworks({ filters: { name: [name] } })).length).toBe(0);
  });

  it('removes the volume it made when the container cannot be made after all', async () => {
    const fresh = `${plain.session}-fresh`;
    await expect(
      plain.driver.createContainer({
        sessionId: plain.session,
        image: `${IMAGE}-missing`,
        command: ['true'],
        volumes: [{ source: fresh, target: '/data' }],
      }),
    ).rejects.toThrow();
    expect(await volumeExists(fresh)).toBe(false);
  });
});
