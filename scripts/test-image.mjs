/**
 * The check every Docker-backed test suite runs before its tests: the test image exists and is
 * the one scripts/docker-engine.sh builds, told by the version label the script stamps on it. A
 * same-named image from elsewhere can differ in ways a test trips over without saying why (one
 * with a root-owned /tmp made a health check wait out its whole timeout); this fails at once and
 * names the fix instead.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

export const TEST_IMAGE_LABEL = 'berth.test-image.version';

// Read from the script, so that the recipe and its version are changed in one place.
const script = readFileSync(new URL('./docker-engine.sh', import.meta.url), 'utf8');
const version = /^image_version=(\S+)$/m.exec(script)?.[1];
if (!version) throw new Error('scripts/docker-engine.sh has no image_version= line');
export const TEST_IMAGE_VERSION = version;

const FIX = "run 'sudo bash scripts/docker-engine.sh', which builds it";

/** GET of the engine API at an address from @berth/driver-docker's `engineAddress()`. */
function get(address, path) {
  return new Promise((resolve, reject) => {
    const req = request({ ...address, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the engine for GET ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Resolves when `image` on the engine at `address` carries the expected version label; rejects
 * with what it found and the command that fixes it otherwise.
 */
export async function assertTestImage(image, address) {
  const { status, body } = await get(address, `/images/${image}/json`);
  if (status === 404) throw new Error(`Test image ${image} is missing: ${FIX}`);
  if (status !== 200) {
    throw new Error(`Inspecting test image ${image} failed (HTTP ${status}: ${body.trim()})`);
  }
  const found = JSON.parse(body).Config?.Labels?.[TEST_IMAGE_LABEL];
  if (found !== TEST_IMAGE_VERSION) {
    throw new Error(
      `Test image ${image} is not the one scripts/docker-engine.sh builds: its label ` +
        `${TEST_IMAGE_LABEL} is ${found === undefined ? 'missing' : `'${found}'`}, expected ` +
        `'${TEST_IMAGE_VERSION}' (an image built elsewhere may differ, e.g. in who may write ` +
        `its /tmp): run 'sudo bash scripts/docker-engine.sh', which rebuilds it`,
    );
  }
}
