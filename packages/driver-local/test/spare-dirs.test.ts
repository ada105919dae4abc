import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, makeDriver, tempDir } from './helpers.js';

const config = {
  sessionId: 'spares',
  image: 'host',
  command: ['sh', '-c', 'echo from-spare; pwd'],
};

describe('ready-made container directories', () => {
  it('are made after a create, and the next container is built from one', async () => {
    const stateDir = await tempDir('spares-');
    // Without warm sandboxes, which bring their own directories.
    const driver = await makeDriver({ stateDir, warmSandboxes: 0 });
    const spares = join(stateDir, 'spares');
    const first = await driver.createContainer(config);
    await eventually(
      'two ready spare directories (the spares directory)',
      () => (existsSync(spares) ? readdirSync(spares) : []),
      (names) => names.filter((n) => n.startsWith('ready-')).length >= 2,
    );
    const before = readdirSync(spares);

    const second = await driver.createContainer(config);
    // One of the spares there before is gone (refills only ever add new names).
    const after = new Set(readdirSync(spares));
    expect(before.filter((name) => !after.has(name))).toHaveLength(1);
    const dir = join(stateDir, 'containers', second.id);
    // Built from a spare: the record in place, the work dir private, the run record's draft
    // waiting for the first start.
    expect(readdirSync(dir).sort()).toEqual([
      'container.json',
      'run.json.draft',
      'stderr.log',
      'stdout.log',
      'work',
    ]);
    expect(statSync(join(dir, 'work')).mode & 0o777).toBe(0o700);
    await driver.startContainer(second.id);
    expect(await driver.waitContainer(second.id)).toEqual({ exitCode: 0, oomKilled: false });
    expect(await driver.getContainerLogs(second.id)).toBe(`from-spare\n${join(dir, 'work')}\n`);
    expect(readdirSync(dir).filter((name) => name.endsWith('.draft'))).toEqual([]);
    await driver.removeContainer(first.id);
    await driver.removeContainer(second.id);
    await driver.close();
  });

  it('a half-made spare from a killed driver is thrown away, never used', async () => {
    const stateDir = await tempDir('spares-killed-');
    const spares = join(stateDir, 'spares');
    mkdirSync(join(spares, 'making-left-by-a-killed-driver'), { recursive: true });
    const driver = await makeDriver({ stateDir });
    const c = await driver.createContainer(config);
    expect(existsSync(join(spares, 'making-left-by-a-killed-driver'))).toBe(false);
    await eventually(
      "readdirSync(join(stateDir, 'trash')).length === 0",
      () => readdirSync(join(stateDir, 'trash')),
      (seen) => seen.length === 0,
    );
    expect(readdirSync(join(stateDir, 'containers', c.id))).toContain('container.json');
    await driver.removeContainer(c.id);
    await driver.close();
  });
});
