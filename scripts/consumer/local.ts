/** A user's program on @berth/core and @berth/driver-local, as installed from their tarballs. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, createDriver, isDriverError } from '@berth/core';
import { LocalDriver, type LocalDriverOptions } from '@berth/driver-local';

const stateDir = await mkdtemp(join(tmpdir(), 'berth-consumer-local-'));
// best-effort: this checks what the packages ship, not how much this host can confine.
const options: LocalDriverOptions = { stateDir, enforcement: 'best-effort' };

// @ts-expect-error -- with @berth/driver-local's types loaded, a misspelt option is a type error
const typo: unknown = await createDriver('local', { statedir: stateDir }).catch((e: unknown) => e);
assert.ok(ConfigurationError.isInstance(typo), 'a misspelt option is a ConfigurationError');
assert.match(typo.message, /did you mean 'stateDir'/);

const driver = await createDriver('local', options);
assert.ok(driver instanceof LocalDriver, 'createDriver("local") makes the installed LocalDriver');
try {
  const box = await driver.createContainer({
    sessionId: 'consumer-check',
    image: 'host',
    command: ['/bin/sh', '-c', 'echo hi'],
  });
  await driver.startContainer(box.id);
  const result = await driver.waitContainer(box.id);
  assert.equal(result.exitCode, 0);
  const logs = await driver.getContainerLogs(box.id);
  assert.match(logs, /hi/);
  await driver.removeContainer(box.id);
  console.log(
    `consumer-check: local: a container ran /bin/sh -c 'echo hi' (exit ${result.exitCode})`,
  );
} catch (error) {
  if (isDriverError(error)) console.error(`consumer-check: local: ${error.code}: ${error.message}`);
  throw error;
} finally {
  await driver.close();
  await rm(stateDir, { recursive: true, force: true });
}
