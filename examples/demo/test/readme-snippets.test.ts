import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { engineAddress, pingDockerEngine } from '@berth/driver-docker';
import { afterAll, describe, expect, it } from 'vitest';
import { assertTestImage } from '../../../scripts/test-image.mjs';

// Written inside this package so the snippet resolves @berth/* the way a user's project would.
const here = fileURLToPath(new URL('.', import.meta.url));
const written: string[] = [];
afterAll(() => {
  for (const file of written) rmSync(file, { recursive: true, force: true });
});

function firstSnippet(readme: string): string {
  const match = readFileSync(readme, 'utf8').match(/```ts\n([\s\S]*?)```/);
  if (!match?.[1]) throw new Error(`${readme} has no ts snippet`);
  return match[1];
}

const engine = await pingDockerEngine({ timeoutMs: 2000 });
const inCI = process.env.CI === 'true' || process.env.CI === '1';
// The swarm driver's snippet runs on the swarm scripts/swarm.sh makes of the main engine.
const swarm = existsSync(process.env.BERTH_SWARM_CLUSTERS ?? '/run/berth-swarm/clusters.json');

/** The driver-docker README's snippets run the test image: if it is not the script's, say so. */
const dockerSnippetImage = () => assertTestImage('berth-test/busybox:latest', engineAddress());

describe('package README snippets run', () => {
  it('@berth/testkit, as a vitest file', async () => {
    // A directory of its own under this package: vitest's root there, @berth/* resolvable.
    const dir = `${here}../snippet-run`;
    mkdirSync(dir, { recursive: true });
    written.push(dir);
    writeFileSync(
      `${dir}/testkit.test.ts`,
      firstSnippet(`${here}../../../packages/testkit/README.md`),
    );
    await promisify(execFile)(
      process.execPath,
      [
        `${here}../node_modules/vitest/vitest.mjs`,
        'run',
        '--root',
        dir,
        '--reporter=json',
        `--outputFile=${dir}/report.json`,
      ],
      { cwd: dir },
    ).catch(() => undefined);
    const report = JSON.parse(readFileSync(`${dir}/report.json`, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
    };
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThan(25);
  }, 60_000);

  const needsEngine = !engine && !inCI;
  if (needsEngine) console.warn('[readme snippets] @berth/driver-docker skipped: no Docker engine');
  const needsSwarm = !swarm && !inCI;
  if (needsSwarm)
    console.warn('[readme snippets] @berth/driver-swarm skipped: no swarm (scripts/swarm.sh up)');
  const packages = [
    'core',
    'driver-mock',
    'driver-local',
    'resilience',
    'session',
    'tenancy',
    'metrics',
    ...(needsEngine ? [] : ['driver-docker']),
    ...(needsSwarm ? [] : ['driver-swarm']),
  ];
  /** Runs the first ts snippet under `heading` of a package's README; returns what it printed. */
  async function runSection(pkg: string, heading: string): Promise<string> {
    const readme = readFileSync(`${here}../../../packages/${pkg}/README.md`, 'utf8');
    const at = readme.indexOf(`## ${heading}`);
    expect(at, `${pkg}'s README has a "${heading}" section`).toBeGreaterThan(-1);
    const snippet = readme.slice(at).match(/```ts\n([\s\S]*?)```/)?.[1];
    expect(snippet).toBeDefined();
    const file = `${here}.snippet-${pkg}-${heading.toLowerCase().replaceAll(' ', '-')}.ts`;
    writeFileSync(file, snippet as string);
    written.push(file);
    return (await promisify(execFile)(process.execPath, [file])).stdout;
  }

  it("@berth/core's readiness snippet", async () => {
    const stdout = await runSection('core', 'Waiting until ready');
    expect(stdout).toMatch(/ready after \d+ ms/);
    expect(stdout).toContain("exited 3 [ 'fatal: no config' ]");
  }, 20_000);

  it("@berth/core's processes snippet", async () => {
    const stdout = await runSection('core', 'Processes');
    expect(stdout).toMatch(/^hello\n/);
    expect(stdout).toContain('exitCode: 0');
  }, 20_000);

  it("@berth/core's lifetimes snippet", async () => {
    expect(await runSection('core', 'Lifetimes')).toBe('exited\ntrue\nrunning true\n');
  }, 20_000);

  it.skipIf(needsEngine)(
    "@berth/driver-docker's lifetimes snippet",
    async () => {
      await dockerSnippetImage();
      expect(await runSection('driver-docker', 'Lifetimes')).toBe('600000\n');
    },
    20_000,
  );

  for (const pkg of packages) {
    it(`@berth/${pkg}`, async () => {
      if (pkg === 'driver-docker' || pkg === 'driver-swarm') await dockerSnippetImage();
      const file = `${here}.snippet-${pkg}.ts`;
      writeFileSync(file, firstSnippet(`${here}../../../packages/${pkg}/README.md`));
      written.push(file);
      const { stdout } = await promisify(execFile)(process.execPath, [file], {
        env: { ...process.env, BERTH_DRIVER: '' },
      });
      expect(stdout.length).toBeGreaterThan(0);
    }, 20_000);
  }
});
