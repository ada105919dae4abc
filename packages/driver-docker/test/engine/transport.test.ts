import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeEngine, IMAGE } from '../support/engine.js';

const built = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// A lifecycle in a fresh process, then which CommonJS modules it loaded (dockerode is one).
const PROGRAM = `
import { createRequire } from 'node:module';
import { DockerDriver } from ${JSON.stringify(built)};
const driver = new DockerDriver(JSON.parse(process.env.OPTIONS));
const c = await driver.createContainer({ sessionId: 'berth-test-transport', image: process.env.IMAGE, command: ['echo', 'over the socket'] });
await driver.startContainer(c.id);
await driver.waitContainer(c.id);
const logs = await driver.getContainerLogs(c.id);
await driver.removeContainer(c.id, { force: true });
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ logs, dockerode: loaded.some((p) => /[/\\\\]dockerode[/\\\\]/.test(p)), ssh2: loaded.some((p) => /[/\\\\]ssh2[/\\\\]/.test(p)) }));
`;

async function run(options: Record<string, unknown>) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', PROGRAM],
    { env: { ...process.env, OPTIONS: JSON.stringify(options), IMAGE } },
  );
  return JSON.parse(stdout) as { logs: string; dockerode: boolean; ssh2: boolean };
}

describeEngine('Docker driver: the transport', () => {
  it('reaches an engine on a Unix socket without loading dockerode, ssh2 or gRPC', async () => {
    expect(await run({})).toEqual({ logs: 'over the socket\n', dockerode: false, ssh2: false });
    expect(await run({ socketPath: '/var/run/docker.sock' })).toMatchObject({ dockerode: false });
  });

  it('still goes through dockerode for engines over TCP, TLS or SSH', async () => {
    // DOCKER_HOST as a unix:// URL is a socket too; tcp:// is not.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         import { DockerDriver } from ${JSON.stringify(built)};
         const error = await new DockerDriver({ host: '127.0.0.1', port: 9 }).capabilities().catch((e) => e);
         const loaded = Object.keys(createRequire(import.meta.url).cache);
         console.log(JSON.stringify({ code: error.code, dockerode: loaded.some((p) => p.includes('/dockerode/')) }));`,
      ],
      { env: { ...process.env } },
    );
    expect(JSON.parse(stdout)).toEqual({ code: 'NETWORK_ERROR', dockerode: true });
  });
});

describeEngine('Docker driver: the isolation probe is remembered per engine', () => {
  it('probes once, then later processes read the answer from the state directory', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const Dockerode = (await import('dockerode')).default;
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-docker-probe-'));
    try {
      const probes = async (body: () => Promise<unknown>) => {
        const since = Math.floor(Date.now() / 1000) - 1;
        await body();
        const until = Math.ceil(Date.now() / 1000) + 1;
        const events = (await new Dockerode().getEvents({
          since,
          until,
          filters: { type: ['network'], event: ['create'] },
        })) as unknown as NodeJS.ReadableStream;
        let text = '';
        for await (const chunk of events) text += chunk.toString();
        // Events name the network; the probe's are `berth-probe-<random>`.
        return text
          .split('\n')
          .filter(Boolean)
          .filter((line) => JSON.parse(line).Actor?.Attributes?.name?.startsWith('berth-probe-'))
          .length;
      };
      const capabilities = () =>
        promisify(execFile)(process.execPath, [
          '--input-type=module',
          '-e',
          `import { DockerDriver } from ${JSON.stringify(built)};
           const caps = await new DockerDriver({ stateDir: ${JSON.stringify(stateDir)} }).capabilities();
           if (caps.networks !== 'isolated') throw new Error('not isolated: ' + caps.networks);`,
        ]);
      expect(await probes(capabilities), 'the first process probes').toBe(1);
      const cached = JSON.parse(readFileSync(join(stateDir, 'engine-probe.json'), 'utf8'));
      expect(cached).toMatchObject({ isolated: true });
      expect(await probes(capabilities), 'the next one reads the answer').toBe(0);
      // One anybody could have written is not believed: it would claim isolation.
      const { chmodSync } = await import('node:fs');
      chmodSync(join(stateDir, 'engine-probe.json'), 0o666);
      expect(await probes(capabilities), 'a writable answer is probed again').toBe(1);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
