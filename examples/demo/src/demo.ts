/**
 * A whole container lifecycle on the driver BERTH_DRIVER names (default: the Docker-like mock
 * with realistic timing), one line per step with how long it took.
 */
import { createDriver, createDriverConfig, getErrorMessage } from '@berth/core';

const driverName = process.env.BERTH_DRIVER || 'mock-docker';
// The mocks answer instantly unless asked to take as long as the real drivers do.
const driver = await createDriver(
  driverName,
  driverName.startsWith('mock-') ? { timing: 'realistic' } : {},
);

async function step<T>(label: string, run: () => Promise<T>, show?: (value: T) => string) {
  const started = performance.now();
  const value = await run();
  const ms = (performance.now() - started).toFixed(0).padStart(5);
  console.log(`${ms} ms  ${label}${show ? `  ${show(value)}` : ''}`);
  return value;
}

console.log(`Berth demo on the '${driver.name}' driver\n`);
const config = createDriverConfig({
  sessionId: 'demo',
  image: 'busybox',
  command: ['sh', '-c', 'echo hello from berth; echo a warning >&2; sleep 600'],
  labels: { app: 'demo' },
});

const container = await step(
  'create',
  () => driver.createContainer(config),
  (c) => c.id.slice(0, 12),
);
try {
  await step('start', () => driver.startContainer(container.id));
  await step(
    'health',
    () => driver.isContainerHealthy(container.id),
    (ok) => (ok ? 'healthy' : 'unhealthy'),
  );
  await step(
    'logs',
    () => driver.getContainerLogs(container.id),
    (logs) => JSON.stringify(logs),
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
}
