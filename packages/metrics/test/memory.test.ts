import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MockDockerDriver } from '@berth/driver-mock';
import { expect, it } from 'vitest';
import { withMetrics } from '../src/index.js';

/** A full collection makes the baseline and the sample comparable; vitest does not expose gc. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const MB = 1024 * 1024;

it('100 000 operations do not grow the heap: series are per operation, not per call', async () => {
  const gc = exposeGc();
  const mock = new MockDockerDriver();
  const driver = withMetrics(mock);
  const c = await driver.createContainer({ sessionId: 'mem', image: 'x' });
  const run = async (calls: number) => {
    for (let i = 0; i < calls; i++) {
      if (i % 10 === 0) await driver.removeContainer('0'.repeat(64)).catch(() => undefined);
      else await driver.getContainer(c.id);
      // The mock's own call log grows by design; it is not what is measured here.
      if (i % 1000 === 0) mock.calls.length = 0;
    }
    mock.calls.length = 0;
  };
  await run(10_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  await run(100_000);
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(after - before).toBeLessThan(2 * MB);
  const text = await driver.metricsRegistry.metrics();
  expect(text).toContain(
    'berth_driver_operations_total{driver="mock-docker",operation="getContainer",outcome="success"} 99000',
  );
}, 60_000);
