import { spawnSync } from 'node:child_process';
import module from 'node:module';
import { describe, expect, it } from 'vitest';
import { ANSI, berth } from './support/berth.js';
import { useLocalState } from './support/local.js';

const { local, path, session } = useLocalState();

describe('doctor', () => {
  it('--json reports the local host, what is enforced, and for each gap why and the fix', async () => {
    const result = await local(['doctor', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.host).toMatchObject({ platform: process.platform, node: process.version });
    expect(report.usable).toBe(true);
    expect(report.selected).toEqual({ name: 'local', source: 'flag' });
    const [driver, ...others] = report.drivers;
    expect(others).toEqual([]);
    expect(driver).toMatchObject({ name: 'local', package: '@berth/driver-local' });
    expect(['ready', 'degraded']).toContain(driver.status);
    expect(driver.details).toMatchObject({
      isRoot: process.getuid?.() === 0,
      stateDir: path(),
    });
    expect(driver.details.cgroups).toHaveProperty('enforced');
    expect(typeof driver.details.bubblewrap.works).toBe('boolean');
    expect(typeof driver.capabilities.cpu).toBe('boolean');
    // Every capability that is off is explained, and nothing that is on.
    const off = Object.entries(driver.capabilities as Record<string, unknown>)
      .filter(([, v]) => v === false || v === 'logical')
      .map(([k]) => k);
    const explained = (driver.gaps as { capability: string; reason: string; fix: string }[]).map(
      (g) => g.capability,
    );
    expect(explained.filter((c) => c !== 'volumeSize').sort()).toEqual(off.sort());
    // The local driver never has disk quotas or ports, so those two are always explained.
    expect(explained).toEqual(expect.arrayContaining(['disk', 'ports']));
    for (const gap of driver.gaps) {
      expect(gap.reason.length).toBeGreaterThan(10);
      expect(gap.fix.length).toBeGreaterThan(10);
    }
  });

  it('without --driver it reports every installed driver, as text too', async () => {
    const json = await berth(['doctor', '--json'], { env: { BERTH_STATE_DIR: path() } });
    const names = JSON.parse(json.stdout).drivers.map((d: { name: string }) => d.name);
    expect(names).toEqual(expect.arrayContaining(['local', 'docker']));
    expect(json.code).toBe(0);
    const text = await berth(['doctor'], { env: { BERTH_STATE_DIR: path() } });
    expect(text.stdout).toMatch(/^local +(ready|degraded)/m);
    expect(text.stdout).toMatch(/^docker +(ready|degraded|unusable)/m);
    expect(text.stdout).toMatch(/not here +disk: .+\n +fix: .+/);
    expect(text.stdout).toMatch(/^berth uses: \S+/m);
  });
});

describe('lazy loading', () => {
  // Logs every driver package resolved, from inside the berth process.
  const hooks = async () => {
    const file = `${path()}/log-drivers.mjs`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      file,
      `import { registerHooks } from 'node:module';
registerHooks({ resolve(specifier, context, next) {
  const found = next(specifier, context);
  const m = /driver-(docker|local|mock)\\/dist\\/index\\.js/.exec(found.url);
  if (m) process.stderr.write('loaded ' + m[1] + '\\n');
  return found;
} });
`,
    );
    return ['--import', file];
  };

  // registerHooks is Node 22.15+; the toolchain's Node 24 has it.
  it.skipIf(!('registerHooks' in module))(
    'loads only the chosen driver, and none for version or help',
    async () => {
      const nodeArgs = await hooks();
      const ps = await local(['ps'], { nodeArgs });
      expect(ps.code).toBe(0);
      expect([...new Set(ps.stderr.trim().split('\n'))]).toEqual(['loaded local']);
      for (const args of [['version'], ['--help'], ['ps', '--help']]) {
        const result = await berth(args, { nodeArgs });
        expect(result.code).toBe(0);
        expect(result.stderr).toBe('');
      }
    },
  );
});

describe('colour and speed', () => {
  it('no colour codes when stdout is not a terminal, unless FORCE_COLOR; NO_COLOR and --no-color win', async () => {
    for (const args of [['version'], ['ps', '--all'], ['doctor'], ['logs', 'nope']]) {
      const plain = await local(args);
      expect(plain.stdout + plain.stderr).not.toMatch(ANSI);
    }
    const forced = await local(['version'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    expect(
      (await local(['version'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout,
    ).not.toMatch(ANSI);
    expect(
      (await local(['version', '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout,
    ).not.toMatch(ANSI);
  });

  it('exits promptly: version and ps on the local driver, run -d of a long container', async () => {
    const version = await berth(['version']);
    const ps = await local(['ps']);
    expect(version.code).toBe(0);
    expect(ps.code).toBe(0);
    console.log(
      `[@berth/cli] wall time: berth version ${version.ms.toFixed(0)} ms, berth ps (local) ${ps.ms.toFixed(0)} ms`,
    );
    expect(version.ms).toBeLessThan(3000);
    expect(ps.ms).toBeLessThan(5000);
    const detached = await local(['run', '-d', '--session', session, 'host', '--', 'sleep', '60']);
    expect(detached.code).toBe(0);
    expect(detached.ms).toBeLessThan(5000);
  });
});

// `script` gives the command a terminal, for what only happens on one.
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript)
  console.warn('[@berth/cli] skipping terminal tests: util-linux `script` is not installed');

describe.skipIf(!hasScript)('on a terminal', () => {
  const inTerminal = (command: string, input: string) =>
    spawnSync('script', ['-qec', command, '/dev/null'], {
      input,
      encoding: 'utf8',
      env: {
        ...process.env,
        BERTH_STATE_DIR: path(),
        BERTH_DRIVER: 'local',
        NO_COLOR: '',
        FORCE_COLOR: '',
      },
      timeout: 30_000,
    });
  const bin = new URL('../dist/bin.js', import.meta.url).pathname;

  it('cleanup --all asks first; no keeps everything, yes removes it with progress', async () => {
    const made = await local([
      'run',
      '-d',
      '--session',
      `${session}-tty`,
      'host',
      '--',
      'sleep',
      '60',
    ]);
    expect(made.code).toBe(0);
    const no = inTerminal(`${process.execPath} ${bin} cleanup --all`, 'n\n');
    expect(no.stdout).toContain('Remove every container');
    expect(no.stdout).toContain('nothing removed');
    expect(no.status).toBe(1);
    expect((await local(['ps', '-q', '--session', `${session}-tty`])).stdout.trim()).toBe(
      made.stdout.trim().slice(0, 12),
    );
    const yes = inTerminal(`${process.execPath} ${bin} cleanup --all`, 'y\n');
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain('removing containers');
    expect(yes.stdout).toMatch(/removed \d+ containers?/);
    expect((await local(['ps', '-q', '--all'])).stdout).toBe('');
  });

  it('colours output on a terminal', () => {
    const version = inTerminal(`${process.execPath} ${bin} version`, '');
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(ANSI);
  });
});
