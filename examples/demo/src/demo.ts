/**
 * A whole container lifecycle, one line per step with how long it took. Runs on the embedded
 * default, the local driver (no Docker needed), or on whatever BERTH_DRIVER names.
 */
import {
  type ContainerDriver,
  createDriver,
  createDriverConfig,
  getErrorMessage,
  UnsupportedFeatureError,
} from '@berth/core';

const driverName = process.env.BERTH_DRIVER || 'local';
// The mocks answer instantly unless asked to take as long as the real drivers do.
const options: Record<string, unknown> = driverName.startsWith('mock-')
  ? { timing: 'realistic' }
  : {};

async function step<T>(label: string, run: () => Promise<T>, show?: (value: T) => string) {
  const started = performance.now();
  const value = await run();
  const ms = (performance.now() - started).toFixed(0).padStart(5);
  console.log(`${ms} ms  ${label}${show ? `  ${show(value)}` : ''}`);
  return value;
}

const config = createDriverConfig({
  sessionId: 'demo',
  image: 'busybox',
  command: ['sh', '-c', 'echo hello from berth; echo a warning >&2; sleep 600'],
  labels: { app: 'demo' },
});

let driver: ContainerDriver = await createDriver(driverName, options);
console.log(`Berth demo on the '${driver.name}' driver\n`);

async function close(d: ContainerDriver) {
  await (d as { close?: () => Promise<void> }).close?.();
}

/** Creates under strict enforcement; on a host that cannot confine it, says so and goes best-effort. */
async function create() {
  try {
    return await driver.createContainer(config);
  } catch (error) {
    if (!(error instanceof UnsupportedFeatureError)) throw error;
    console.log(`  (this host cannot enforce: ${error.features.map((f) => f.feature).join(', ')};`);
    console.log(
      '   running best-effort instead — as root with cgroups, setpriv and bwrap all are enforced)',
    );
    await close(driver);
    driver = await createDriver(driverName, { ...options, enforcement: 'best-effort' });
    return driver.createContainer(config);
  }
}

/** The logs once the program has printed both lines (a real process needs a moment). */
async function logs(id: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const text = await driver.getContainerLogs(id);
    if (text.includes('warning') || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
    () => logs(container.id),
    (text) => JSON.stringify(text),
  );
  await step('stop', () => driver.stopContainer(container.id, { timeout: 5 }));
  await step(
    'status',
    () => driver.getContainer(container.id),
    (c) => `${c?.status} (exit ${c?.exitCode})`,
  );
} catch (error) {
  console.error(`failed: ${getErrorMessage(error)}`);
  process.exitCode = 1;
} finally {
  await step('remove', () => driver.removeContainer(container.id, { force: true }));
  await close(driver);
}
