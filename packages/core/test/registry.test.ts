import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    for (const name of ['no-such-driver-at-all', 'Not A Name']) {
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

/** A driver package whose entries are `{ create, options, probe }`, as the built-ins export. */
const entrySource = (entries: Record<string, { keys?: string[]; probe?: string }>) => `
  const make = (name) => (options) => ({ name, version: '1', contractVersion: '${CONTRACT_VERSION}', options });
  export const berthDrivers = {
    ${Object.entries(entries)
      .map(
        ([name, { keys, probe }]) => `${JSON.stringify(name)}: {
          create: make(${JSON.stringify(name)}),
          ${keys ? `options: ${JSON.stringify(Object.fromEntries(keys.map((k) => [k, true])))},` : ''}
          ${probe ? `probe: ${probe},` : ''}
        }`,
      )
      .join(',\n')}
  };
`;

const typed = join(root, 'typed');
installPackage(
  typed,
  '@berth/driver-local',
  entrySource({
    local: { keys: ['stateDir', 'enforcement', 'allowedRoots'], probe: '() => true' },
  }),
);
installPackage(
  typed,
  '@berth/driver-docker',
  // Answers only when told where an engine is, as a real probe reads the driver's options.
  entrySource({
    docker: { keys: ['socketPath'], probe: '({ options }) => options.socketPath === "/up.sock"' },
  }),
);
installPackage(typed, 'berth-multi', entrySource({ first: {}, second: { keys: ['level'] } }));
installPackage(typed, 'berth-broken', 'export const berthDrivers = { broken: 42 };');

describe('package/name addresses', () => {
  it('picks one driver of a package that offers several', async () => {
    const mock = await createDriver(
      '@berth/driver-mock/mock-docker',
      { seed: 2 },
      { resolveFrom: app, env: {} },
    );
    expect(mock.name).toBe('mock-docker');
    const second = await createDriver('berth-multi/second', { level: 1 }, { resolveFrom: typed });
    expect(second.name).toBe('second');
  });

  it('asks which one when a package with several is named alone', async () => {
    const error = await createDriver('berth-multi', {}, { resolveFrom: typed }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'berth-multi/first' or 'berth-multi/second'");
  });

  it('suggests the nearest driver of the package for a misspelt one', async () => {
    const error = await createDriver(
      '@berth/driver-mock/mock-lcoal',
      {},
      { resolveFrom: app },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("did you mean 'mock-local'?");
    expect(error.message).toContain('mock-docker, mock-local');
  });

  it('refuses an entry that is neither a factory nor { create }', async () => {
    const error = await createDriver('berth-broken', {}, { resolveFrom: typed }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/neither a factory nor an entry with create\(\)/);
  });
});

describe('unknown names', () => {
  it('suggest the nearest known driver instead of installing the typo', async () => {
    for (const [typo, meant] of [
      ['dokcer', 'docker'],
      ['locla', 'local'],
      ['Local', 'local'],
      ['mock-dcoker', 'mock-docker'],
    ]) {
      const error = await createDriver(typo, {}, { resolveFrom: empty, env: {} }).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain(`did you mean '${meant}'?`);
      expect(error.message).not.toContain('pnpm add');
    }
  });

  it('suggest a registered name too, and one given through BERTH_DRIVER', async () => {
    const undo = registerDriver('tiny-driver', () => new TinyDriver());
    try {
      const error = await createDriver(
        undefined,
        {},
        {
          resolveFrom: empty,
          env: { BERTH_DRIVER: 'tiny-drvier' },
        },
      ).catch((e) => e);
      expect(error.message).toContain("did you mean 'tiny-driver'?");
    } finally {
      undo();
    }
  });

  it('of an uninstalled package/name advise installing the package', async () => {
    const error = await createDriver(
      '@acme/berth-nothing-here/fast',
      {},
      {
        resolveFrom: empty,
      },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('pnpm add @acme/berth-nothing-here.');
  });

  it('are refused when not a string', async () => {
    for (const name of ['', 42, null]) {
      const error = await createDriver(name as string, {}, { env: {} }).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(/non-empty string/);
    }
  });
});

describe('driver options', () => {
  it('a misspelt option is a ConfigurationError naming it and the right one', async () => {
    const error = await createDriver(
      'local',
      { statedir: '/tmp/x', enforcement: 'strict' },
      { resolveFrom: typed },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'statedir' (did you mean 'stateDir'?)");
    expect(error.message).toContain('allowedRoots, enforcement, stateDir');
    expect(error.issues).toEqual([
      {
        path: ['statedir'],
        message: "unknown option 'statedir' (did you mean 'stateDir'?)",
        stage: 'schema',
      },
    ]);
  });

  it('names every unknown option, with a suggestion only where one is close', async () => {
    const error = await createDriver(
      'local',
      { stateDri: 'x', colour: 'blue' },
      { resolveFrom: typed },
    ).catch((e) => e);
    expect(error.message).toContain("'stateDri' (did you mean 'stateDir'?), 'colour'.");
    expect(error.issues.map((i: { path: string[] }) => i.path[0])).toEqual(['stateDri', 'colour']);
  });

  it('declared options pass through to the driver', async () => {
    const driver = (await createDriver(
      'local',
      { stateDir: '/tmp/x', enforcement: 'best-effort' },
      { resolveFrom: typed },
    )) as unknown as { options: unknown };
    expect(driver.options).toEqual({ stateDir: '/tmp/x', enforcement: 'best-effort' });
  });

  it('options must be an object', async () => {
    for (const options of [null, 'stateDir=/x', ['stateDir']]) {
      const error = await createDriver('local', options as never, { resolveFrom: typed }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(/must be an object/);
    }
  });

  it('a registered entry with options is checked as a package one is', async () => {
    const undo = registerDriver<{ size?: number }>('sized', {
      create: () => new TinyDriver(),
      options: { size: true },
    });
    try {
      expect((await createDriver('sized', { size: 1 })).name).toBe('tiny');
      const error = await createDriver('sized', { szie: 1 } as never).catch((e) => e);
      expect(error.message).toContain("did you mean 'size'?");
    } finally {
      undo();
    }
  });

  it('registerDriver refuses what is not a driver', () => {
    expect(() => registerDriver('x', 42 as never)).toThrow(ConfigurationError);
    expect(() => registerDriver('', () => new TinyDriver())).toThrow(/non-empty name/);
  });
});

describe('detectDriver', () => {
  it('picks docker when its package is installed and its probe answers', async () => {
    expect(await detectDriver({ resolveFrom: typed, options: { socketPath: '/up.sock' } })).toBe(
      'docker',
    );
  });

  it('picks local when the docker probe says no', async () => {
    expect(await detectDriver({ resolveFrom: typed })).toBe('local');
    expect(await detectDriver({ resolveFrom: typed, options: { socketPath: '/down.sock' } })).toBe(
      'local',
    );
  });

  it('never picks a driver that is not installed, whatever answers', async () => {
    const localOnly = join(root, 'local-only');
    installPackage(
      localOnly,
      '@berth/driver-local',
      entrySource({ local: { probe: '() => true' } }),
    );
    expect(
      await detectDriver({ resolveFrom: localOnly, options: { socketPath: '/up.sock' } }),
    ).toBe('local');
  });

  it('counts a probe that throws or hangs as no', async () => {
    const flaky = join(root, 'flaky');
    installPackage(
      flaky,
      '@berth/driver-docker',
      entrySource({ docker: { probe: '() => { throw new Error("no engine") }' } }),
    );
    installPackage(flaky, '@berth/driver-local', entrySource({ local: {} }));
    expect(await detectDriver({ resolveFrom: flaky })).toBe('local');

    const hung = join(root, 'hung');
    installPackage(
      hung,
      '@berth/driver-docker',
      entrySource({ docker: { probe: '() => new Promise(() => {})' } }),
    );
    installPackage(hung, '@berth/driver-local', entrySource({ local: {} }));
    const started = Date.now();
    expect(await detectDriver({ resolveFrom: hung, timeoutMs: 50 })).toBe('local');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('accepts plain factories (no probe) from packages written before entries', async () => {
    const legacy = join(root, 'legacy');
    installPackage(legacy, '@berth/driver-local', driverSource('local', CONTRACT_VERSION));
    expect(await detectDriver({ resolveFrom: legacy })).toBe('local');
  });

  it('says what to install when no driver is usable', async () => {
    const error = await detectDriver({ resolveFrom: empty }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('@berth/driver-docker is not installed');
    expect(error.message).toContain('@berth/driver-local is not installed');
    expect(error.message).toContain('pnpm add @berth/driver-local');
  });

  it('refuses the removed dockerHost option, saying where Docker probing went', async () => {
    const error = await detectDriver({ dockerHost: 'unix:///x' } as never).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('@berth/driver-docker');
    expect(error.message).toContain('socketPath');
  });

  it('createDriver without name or BERTH_DRIVER makes the detected driver', async () => {
    const local = (await createDriver(
      undefined,
      { socketPath: '/down.sock' },
      {
        resolveFrom: typed,
        env: {},
      },
    ).catch((e) => e)) as Error;
    // Detection picked local; local then refuses docker's option, as it should.
    expect(local).toBeInstanceOf(ConfigurationError);
    expect(local.message).toContain("Driver 'local' has no option 'socketPath'");

    const docker = await createDriver(
      undefined,
      { socketPath: '/up.sock' },
      { resolveFrom: typed, env: {} },
    );
    expect(docker.name).toBe('docker');
    expect((await createDriver(undefined, {}, { resolveFrom: typed, env: {} })).name).toBe('local');
  });

  it('createDriver without anything installed says what to install', async () => {
    const error = await createDriver(undefined, {}, { resolveFrom: empty, env: {} }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('@berth/driver-local');
  });
});
