import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, createDriver } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { berthDrivers, MockDockerDriver, MockLocalDriver } from '../src/index.js';

// An application with this package installed, as the registry expects to find it.
const app = mkdtempSync(join(tmpdir(), 'berth-mock-registry-'));
afterAll(() => rmSync(app, { recursive: true, force: true }));
mkdirSync(join(app, 'node_modules', '@berth'), { recursive: true });
symlinkSync(join(import.meta.dirname, '..'), join(app, 'node_modules', '@berth', 'driver-mock'));

describe('the registry entries', () => {
  it('make each mock, and have no probe: detection never picks a mock', () => {
    expect(berthDrivers['mock-docker'].create({ seed: 1 })).toBeInstanceOf(MockDockerDriver);
    expect(berthDrivers['mock-local'].create({})).toBeInstanceOf(MockLocalDriver);
    expect(berthDrivers['mock-local'].probe).toBeUndefined();
  });

  it('are addressable as package/name', async () => {
    const driver = await createDriver(
      '@berth/driver-mock/mock-local',
      { seed: 3 },
      { resolveFrom: app },
    );
    // The registry loads the built package, so the class is dist's, not this test's src one.
    expect(driver.constructor.name).toBe(MockLocalDriver.name);
    const alone = await createDriver('@berth/driver-mock', {}, { resolveFrom: app }).catch(
      (e) => e,
    );
    expect(alone).toBeInstanceOf(ConfigurationError);
    expect(alone.message).toContain("'@berth/driver-mock/mock-docker'");
  });

  it('refuse a misspelt option, naming the right one', async () => {
    const error = await createDriver('mock-docker', { sede: 1 } as never, {
      resolveFrom: app,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("'sede' (did you mean 'seed'?)");
  });
});
