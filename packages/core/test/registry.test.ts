import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CONTRACT_VERSION,
  ConfigurationError,
  createDriver,
  detectDriver,
  registerDriver,
} from '../src/index.js';
import { TinyDriver } from './fixtures/tiny-driver.js';

const root = mkdtempSync(join(tmpdir(), 'berth-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes an installed package into `dir/node_modules`, as a package manager would. */
function installPackage(
  dir: string,
  name: string,
  source: string,
  exportsField: unknown = './index.js',
) {
  const pkgDir = join(dir, 'node_modules', ...name.split('/'));
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name, type: 'module', version: '1.0.0', exports: exportsField }),
  );
  writeFileSync(join(pkgDir, 'index.js'), source);
}

const app = join(root, 'app');
mkdirSync(join(app, 'src', 'deep'), { recursive: true });
const driverSource = (name: string, contract: string) => `
  const make = (options) => ({
    name: ${JSON.stringify(name)}, version: '1.0.0', contractVersion: ${JSON.stringify(contract)},
    options,
  });
  export const berthDrivers = { ${JSON.stringify(name)}: make };
`;
installPackage(app, 'berth-driver-fake', driverSource('fake', CONTRACT_VERSION));
installPackage(app, '@acme/berth-old', driverSource('old', 'berth.v0'));
installPackage(app, 'not-a-driver', 'export const x = 1;');
installPackage(
  app,
  '@berth/driver-mock',
  `
  const make = (name) => (options) => ({ name, version: '9', contractVersion: '${CONTRACT_VERSION}', options });
  export const berthDrivers = { 'mock-docker': make('mock-docker'), 'mock-local': make('mock-local') };
`,
  { '.': { types: './index.d.ts', import: './index.js' } },
);

const empty = join(root, 'empty');
mkdirSync(empty);

describe('createDriver', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const undo of cleanups.splice(0)) undo();
  });

  it('names the package to install when a built-in driver is missing', async () => {
    const error = await createDriver('docker', {}, { resolveFrom: empty, env: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('@berth/driver-docker');
    expect(error.message).toMatch(/pnpm add @berth\/driver-docker/);
    const local = await createDriver('local', {}, { resolveFrom: empty, env: {} }).catch((e) => e);
    expect(local.message).toContain('@berth/driver-local');
  });

  it('lists the known names for an unknown one', async () => {
    for (const name of ['no-such-driver', 'Not A Name']) {
      const error = await createDriver(name, {}, { resolveFrom: empty, env: {} }).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain(`'${name}'`);
      expect(error.message).toMatch(/docker, local, mock-docker, mock-local/);
    }
  });

  it('loads a built-in driver package by dynamic import, picking the named factory', async () => {
    const driver = (await createDriver(
      'mock-local',
      { seed: 1 },
      { resolveFrom: join(app, 'src', 'deep'), env: {} },
    )) as unknown as {
      name: string;
      options: unknown;
    };
    expect(driver.name).toBe('mock-local');
    expect(driver.options).toEqual({ seed: 1 });
  });

  it('loads a third-party driver by package name', async () => {
    const driver = await createDriver('berth-driver-fake', {}, { resolveFrom: app, env: {} });
    expect(driver.name).toBe('fake');
  });

  it('uses BERTH_DRIVER when no name is given', async () => {
    const driver = await createDriver(
      undefined,
      {},
      {
        resolveFrom: app,
        env: { BERTH_DRIVER: 'berth-driver-fake' },
      },
    );
    expect(driver.name).toBe('fake');

    cleanups.push(registerDriver('tiny', () => new TinyDriver()));
    process.env.BERTH_DRIVER = 'tiny';
    cleanups.push(() => {
      delete process.env.BERTH_DRIVER;
    });
    expect((await createDriver()).name).toBe('tiny');
  });

  it('a name given explicitly wins over BERTH_DRIVER', async () => {
    cleanups.push(registerDriver('tiny', () => new TinyDriver()));
    const driver = await createDriver('tiny', {}, { env: { BERTH_DRIVER: 'docker' } });
    expect(driver.name).toBe('tiny');
  });

  it('refuses a driver built for another contract version', async () => {
    const error = await createDriver('@acme/berth-old', {}, { resolveFrom: app, env: {} }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('berth.v0');
    expect(error.message).toContain(CONTRACT_VERSION);
  });

  it('refuses a package that is not a driver package', async () => {
    const error = await createDriver('not-a-driver', {}, { resolveFrom: app, env: {} }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/berthDrivers/);
  });

  it('lists registered names among the known ones', async () => {
    cleanups.push(registerDriver('tiny', () => new TinyDriver()));
    const error = await createDriver('nope', {}, { resolveFrom: empty, env: {} }).catch((e) => e);
    expect(error.message).toMatch(/mock-local, tiny/);
  });
});

describe('detectDriver', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('picks local when no engine answers', async () => {
    expect(await detectDriver({ dockerHost: `unix://${join(root, 'dead.sock')}` })).toBe('local');
    expect(await detectDriver({ dockerHost: 'not a url' })).toBe('local');
  });

  it('picks docker when something answers /_ping like an engine', async () => {
    const socketPath = join(root, 'engine.sock');
    server = createServer((req, res) => {
      res.statusCode = req.url === '/_ping' ? 200 : 404;
      res.end('OK');
    });
    await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
    expect(await detectDriver({ dockerHost: `unix://${socketPath}` })).toBe('docker');
  });

  it('createDriver without name or BERTH_DRIVER falls back to detection', async () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(root, 'dead.sock')}`;
    try {
      const error = await createDriver(undefined, {}, { resolveFrom: empty, env: {} }).catch(
        (e) => e,
      );
      expect(error.message).toContain('@berth/driver-local');
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });
});
