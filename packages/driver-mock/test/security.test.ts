import { ConfigurationError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { MockDockerDriver, type MockDriverOptions, MockLocalDriver } from '../src/index.js';

const base = { sessionId: 's', image: 'busybox' };

async function configurationError(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a ConfigurationError, the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

const drivers: [string, (options?: MockDriverOptions) => MockDockerDriver | MockLocalDriver][] = [
  ['mock-docker', (options) => new MockDockerDriver(options)],
  ['mock-local', (options) => new MockLocalDriver(options)],
];

describe.each(drivers)('%s refuses root unless allowRoot', (_name, make) => {
  it.each(['0:0', '0', 'root', '1000:0', 'nobody:root'])(
    "createContainer with user '%s' is a ConfigurationError, nothing created",
    async (user) => {
      const driver = make();
      const error = await configurationError(
        driver.createContainer({ ...base, security: { user } }),
      );
      expect(error.issues).toEqual([
        expect.objectContaining({ path: ['security', 'user'], stage: 'security' }),
      ]);
      expect(error.issues[0]?.message).toMatch(/allowRoot/);
      expect(await driver.listContainers()).toEqual([]);
    },
  );

  it('allowRoot: true creates and runs it', async () => {
    const driver = make({ allowRoot: true });
    const c = await driver.createContainer({ ...base, security: { user: '0:0' } });
    await driver.startContainer(c.id);
    expect((await driver.getContainer(c.id))?.status).toBe('running');
    expect(await driver.exec(c.id, ['true'], { user: '0' })).toMatchObject({ exitCode: 0 });
  });

  it("exec with user '0' is refused on a default driver", async () => {
    const driver = make();
    const c = await driver.createContainer(base);
    await driver.startContainer(c.id);
    const error = await configurationError(driver.exec(c.id, ['true'], { user: '0' }));
    expect(error.issues).toEqual([expect.objectContaining({ path: ['user'], stage: 'security' })]);
    expect(await driver.exec(c.id, ['true'], { user: '65534' })).toMatchObject({ exitCode: 0 });
  });
});

describe.each(drivers)('%s refuses NUL bytes and malformed exec input', (_name, make) => {
  it('a NUL in the command: ConfigurationError at its path, nothing created', async () => {
    const driver = make();
    const error = await configurationError(
      driver.createContainer({ ...base, command: ['sh', '-c', 'echo a\0b'] }),
    );
    expect(error.issues).toEqual([
      expect.objectContaining({ path: ['command', 2], stage: 'security' }),
    ]);
    expect(await driver.listContainers()).toEqual([]);
  });

  it('exec: NUL in an argument or env, an env name with =, a command that is not an array', async () => {
    const driver = make();
    const c = await driver.createContainer(base);
    await driver.startContainer(c.id);
    const nulArg = await configurationError(driver.exec(c.id, ['echo', 'a\0b']));
    expect(nulArg.issues[0]).toMatchObject({ path: [1], stage: 'security' });
    const nulEnv = await configurationError(driver.exec(c.id, ['true'], { env: { A: 'x\0' } }));
    expect(nulEnv.issues[0]).toMatchObject({ path: ['env', 'A'] });
    const badName = await configurationError(driver.exec(c.id, ['true'], { env: { 'A=B': 'x' } }));
    expect(badName.issues[0]).toMatchObject({ path: ['env', 'A=B'], stage: 'security' });
    await configurationError(driver.exec(c.id, 'echo hi' as unknown as string[]));
    await configurationError(driver.exec(c.id, []));
  });

  it('volumes and networks: NUL and reserved berth.* labels refused, nothing created', async () => {
    const driver = make();
    const nul = await configurationError(driver.createVolume({ name: 'v\0' }));
    expect(nul.issues[0]).toMatchObject({ path: ['name'], stage: 'security' });
    const spoof = await configurationError(
      driver.createNetwork({ name: 'n', labels: { 'berth.session': 'someone-else' } }),
    );
    expect(spoof.issues[0]).toMatchObject({ path: ['labels', 'berth.session'] });
    expect(await driver.listVolumes()).toEqual([]);
    expect(await driver.listNetworks()).toEqual([]);
    const filter = await configurationError(driver.listContainers({ sessionId: 's\0' }));
    expect(filter.issues[0]).toMatchObject({ path: ['sessionId'] });
  });
});
