/**
 * A whole container lifecycle, one line per step with how long it took. Runs on the embedded
 * default, the local driver (no Docker needed), or on whatever BERTH_DRIVER names, with the
 * image BERTH_DEMO_IMAGE names (else the driver's own default below).
 *
 * A mistake the user can fix (a driver that does not exist, an image the engine does not have)
 * ends the demo with the Berth error's message, which names the fix, on one line, and exit code
 * 1: no stack trace. Anything else is a bug, and keeps its stack.
 */
import {
  type ContainerDriver,
  createDriver,
  createDriverConfig,
  isDriverError,
  UnsupportedFeatureError,
} from '@berth/core';

const driverName = process.env.BERTH_DRIVER || 'local';
// The mocks answer instantly unless asked to take as long as the real drivers do.
const options: Record<string, unknown> = driverName.startsWith('mock-')
  ? { timing: 'realistic' }
  : {};

/**
 * What an image is on each driver, and the demo's default. Only Docker looks one up, and it
 * never pulls: the image must be on the engine (scripts/docker-engine.sh builds this one). The
 * others record the image on the container and nothing more, which the demo says when the user
 * picked one, rather than let them believe it was used.
 */
const IMAGES: Record<string, { image: string; meaning?: string }> = {
  docker: { image: 'berth-test/busybox:latest' },
  local: {
    image: 'host',
    meaning:
      'the local driver runs host programs: the image is recorded on the container, not used',
  },
  'mock-docker': {
    image: 'busybox',
    meaning: 'the mock-docker driver simulates containers: the image is recorded, never looked up',
  },
  'mock-local': {
    image: 'host',
    meaning: 'the mock-local driver simulates containers: the image is recorded, never looked up',
  },
};

async function step<T>(label: string, run: () => Promise<T>, show?: (value: T) => string) {
  const started = performance.now();
  const value = await run();
  const ms = (performance.now() - started).toFixed(0).padStart(5);
  console.log(`${ms} ms  ${label}${show ? `  ${show(value)}` : ''}`);
  return value;
}

async function close(d: ContainerDriver) {
  await (d as { close?: () => Promise<void> }).close?.();
}

/** The logs once the program has printed both lines (a real process needs a moment). */
async function logs(driver: ContainerDriver, id: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const text = await driver.getContainerLogs(id);
    if (text.includes('warning') || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function demo() {
  let driver: ContainerDriver = await createDriver(driverName, options);
  const known = IMAGES[driver.name];
  const image = process.env.BERTH_DEMO_IMAGE || known?.image || 'busybox';
  console.log(`Berth demo on the '${driver.name}' driver, image '${image}'\n`);
  if (process.env.BERTH_DEMO_IMAGE && known?.meaning) console.log(`  (${known.meaning})\n`);

  const config = createDriverConfig({
    sessionId: 'demo',
    image,
    command: ['sh', '-c', 'echo hello from berth; echo a warning >&2; sleep 600'],
    labels: { app: 'demo' },
  });

  /** Creates under strict enforcement; on a host that cannot confine it, says so and goes best-effort. */
  async function create() {
    try {
      return await driver.createContainer(config);
    } catch (error) {
      if (!(error instanceof UnsupportedFeatureError)) throw error;
      console.log(
        `  (this host cannot enforce: ${error.features.map((f) => f.feature).join(', ')};`,
      );
      console.log(
        '   running best-effort instead — as root with cgroups, setpriv and bwrap all are enforced)',
      );
      await close(driver);
      driver = await createDriver(driverName, { ...options, enforcement: 'best-effort' });
      return driver.createContainer(config);
    }
  }

  try {
    const container = await step('create', create, (c) => c.id.slice(0, 18));
    try {
      await step('start', () => driver.startContainer(container.id));
      await step(
        'health',
        () => driver.isContainerHealthy(container.id),
        (ok) => (ok ? 'healthy' : 'unhealthy'),
      );
      await step(
        'logs',
        () => logs(driver, container.id),
        (text) => JSON.stringify(text),
      );
      await step('stop', () => driver.stopContainer(container.id, { timeout: 5 }));
      await step(
        'status',
        () => driver.getContainer(container.id),
        (c) => `${c?.status} (exit ${c?.exitCode})`,
      );
    } finally {
      await step('remove', () => driver.removeContainer(container.id, { force: true }));
    }
  } finally {
    await close(driver);
  }
}

try {
  await demo();
} catch (error) {
  if (!isDriverError(error)) throw error;
  console.error(`demo: ${error.message}`);
  process.exitCode = 1;
}
