import { expect, it } from 'vitest';
import {
  configurationError,
  containersMarked,
  describeEngine,
  docker,
  IMAGE,
  marker,
  shell,
  useSession,
  volumeExists,
} from '../support/engine.js';

describeEngine('DockerDriver input security on a real engine', () => {
  const { driver, session } = useSession('security');
  const root = useSession('security-root', { allowRoot: true });

  it("refuses user '0:0' before creating anything: no container, no volume", async () => {
    const labels = marker();
    const volume = `${session}-data`;
    const error = await configurationError(
      driver.createContainer(
        shell(session, 'id -u', {
          labels,
          security: { user: '0:0' },
          // Named volumes are made before the container: a late refusal would leave this one.
          volumes: [{ source: volume, target: '/data' }],
        }),
      ),
    );
    expect(error.issues).toEqual([
      expect.objectContaining({ path: ['security', 'user'], stage: 'security' }),
    ]);
    expect(error.issues[0]?.message).toMatch(/allowRoot/);
    expect(await containersMarked(labels)).toBe(0);
    expect(await volumeExists(volume)).toBe(false);
  });

  it.each(['0', 'root', '1000:0'])("refuses user '%s' too", async (user) => {
    const labels = marker();
    await configurationError(
      driver.createContainer(shell(session, 'id -u', { labels, security: { user } })),
    );
    expect(await containersMarked(labels)).toBe(0);
  });

  it('runs as root with allowRoot: true', async () => {
    const { id } = await root.driver.createContainer(
      shell(root.session, 'id -u; id -g', { security: { user: '0:0' } }),
    );
    expect((await docker.getContainer(id).inspect()).Config.User).toBe('0:0');
    await root.driver.startContainer(id);
    expect(await root.driver.waitContainer(id)).toMatchObject({ exitCode: 0 });
    expect(await root.driver.getContainerLogs(id, { stderr: false })).toBe('0\n0\n');
  });

  it("refuses exec with user '0' on a default driver, allows it with allowRoot: true", async () => {
    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const error = await configurationError(driver.exec(id, ['id', '-u'], { user: '0' }));
    expect(error.issues).toEqual([expect.objectContaining({ path: ['user'], stage: 'security' })]);
    expect(await driver.exec(id, ['id', '-u'])).toMatchObject({ exitCode: 0, stdout: '65534\n' });

    const other = await root.driver.createContainer(shell(root.session, 'sleep 300'));
    await root.driver.startContainer(other.id);
    expect(await root.driver.exec(other.id, ['id', '-u'], { user: '0' })).toMatchObject({
      exitCode: 0,
      stdout: '0\n',
    });
    await driver.stopContainer(id, { force: true });
    await root.driver.stopContainer(other.id, { force: true });
  });

  it('refuses NUL bytes in the config and in exec, creating and running nothing', async () => {
    const labels = marker();
    const error = await configurationError(
      driver.createContainer({
        sessionId: session,
        image: IMAGE,
        command: ['sh', '-c', 'echo ok\0; id'],
        env: { GREETING: 'hi\0there' },
        labels,
      }),
    );
    expect(error.issues.map((i) => [i.stage, i.path])).toEqual([
      ['security', ['command', 2]],
      ['security', ['env', 'GREETING']],
    ]);
    expect(await containersMarked(labels)).toBe(0);

    const { id } = await driver.createContainer(shell(session, 'sleep 300'));
    await driver.startContainer(id);
    const exec = await configurationError(driver.exec(id, ['echo', 'a\0b']));
    expect(exec.issues[0]).toMatchObject({ path: [1], stage: 'security' });
    const env = await configurationError(driver.exec(id, ['true'], { env: { 'A=B': 'x' } }));
    expect(env.issues[0]).toMatchObject({ path: ['env', 'A=B'], stage: 'security' });
    await driver.stopContainer(id, { force: true });
  });

  it('refuses volumes and networks claiming another session through berth.* labels', async () => {
    // No sessionId of its own: the driver would not overwrite the spoofed berth.session.
    const victim = `${session}-victim`;
    const spoofed = { 'berth.session': victim };
    await configurationError(driver.createVolume({ name: `${session}-spoof`, labels: spoofed }));
    await configurationError(driver.createNetwork({ name: `${session}-spoof`, labels: spoofed }));
    expect(await volumeExists(`${session}-spoof`)).toBe(false);
    expect(await docker.listNetworks({ filters: { name: [`${session}-spoof`] } })).toEqual([]);
  });
});
