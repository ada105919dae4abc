import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDriverConformance } from '@berth/testkit';
import { afterAll } from 'vitest';
import { LocalDriver } from '../src/index.js';

const dirs: string[] = [];
const stateDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `berth-local-conformance-${prefix}`));
  dirs.push(dir);
  return dir;
};
const drivers: LocalDriver[] = [];
const track = (driver: LocalDriver) => {
  drivers.push(driver);
  return driver;
};

afterAll(async () => {
  for (const driver of drivers) {
    for (const c of await driver.listContainers()) {
      await driver.removeContainer(c.id, { force: true });
    }
    await driver.close();
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeDriverConformance('local', () => track(new LocalDriver({ stateDir: stateDir('main-') })), {
  image: 'host',
  // The same driver without bubblewrap cannot make the root read-only, which the default
  // config asks for: the capability-honesty group checks it fails closed, or reports it.
  createWeakDriver: (enforcement) =>
    track(
      new LocalDriver({
        stateDir: stateDir('weak-'),
        enforcement,
        isolation: { bubblewrap: false },
      }),
    ),
});
