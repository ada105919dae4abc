/** A user's program on @berth/core and @berth/driver-docker, without dockerode's types. */
import assert from 'node:assert/strict';
import { ConfigurationError, createDriver, detectDriver } from '@berth/core';
import {
  type DockerClient,
  DockerDriver,
  type DockerDriverOptions,
  pingDockerEngine,
} from '@berth/driver-docker';

// A stub client is typed by Berth's own DockerClient, no engine SDK types needed.
const stub: DockerClient = {
  modem: {
    dial(_request, callback) {
      callback(Object.assign(new Error('stub engine'), { code: 'ECONNREFUSED' }), null);
    },
  },
};
const offline = new DockerDriver({ docker: stub });
assert.equal((await offline.healthCheck()).status, 'unhealthy');

// @ts-expect-error -- with @berth/driver-docker's types loaded, a misspelt option is a type error
const typo: unknown = await createDriver('docker', { socketpath: '/x' }).catch((e: unknown) => e);
assert.ok(ConfigurationError.isInstance(typo), 'a misspelt option is a ConfigurationError');
assert.match(typo.message, /did you mean 'socketPath'/);

if (!(await pingDockerEngine({ timeoutMs: 3000 }))) {
  const inCI = process.env.CI === 'true' || process.env.CI === '1';
  console.log('consumer-check: docker: no engine answers at DOCKER_HOST or the default socket');
  process.exit(inCI ? 1 : 0);
}

const options: DockerDriverOptions = {};
const driver = new DockerDriver(options);
const capabilities = await driver.capabilities();
assert.equal(typeof capabilities.memory, 'boolean');
const health = await driver.healthCheck();
assert.equal(health.status, 'healthy', JSON.stringify(health));
// Both drivers are installed and an engine answers: detection prefers docker.
assert.equal(await detectDriver(), 'docker');
assert.equal((await createDriver()).name, 'docker');
console.log(`consumer-check: docker: the engine is ${health.status}, capabilities read`);
