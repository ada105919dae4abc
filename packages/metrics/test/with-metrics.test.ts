import { ConfigurationError, ContainerNotFoundError, DriverError } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { Gauge, register as globalRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { withMetrics } from '../src/index.js';

/** The value of one series, from the exposition text, or undefined when absent. */
async function sample(
  registry: Registry,
  metric: string,
  labels: string,
): Promise<number | undefined> {
  const text = await registry.getSingleMetricAsString(metric.replace(/_(bucket|sum|count)$/, ''));
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('withMetrics', () => {
  it('counts every operation by outcome and times it', async () => {
    const driver = withMetrics(new MockDockerDriver());
    const registry = driver.metricsRegistry;
    const c = await driver.createContainer({ sessionId: 's1', image: 'x' });
    await driver.startContainer(c.id);
    for (let i = 0; i < 3; i++) await driver.getContainer(c.id);

    const ops = 'berth_driver_operations_total';
    expect(
      await sample(
        registry,
        ops,
        'driver="mock-docker",operation="getContainer",outcome="success"',
      ),
    ).toBe(3);
    expect(
      await sample(
        registry,
        ops,
        'driver="mock-docker",operation="createContainer",outcome="success"',
      ),
    ).toBe(1);
    expect(
      await sample(
        registry,
        ops,
        'driver="mock-docker",operation="startContainer",outcome="success"',
      ),
    ).toBe(1);
    // Children are made for every outcome at once, so rates start from 0 rather than absent.
    expect(
      await sample(registry, ops, 'driver="mock-docker",operation="getContainer",outcome="error"'),
    ).toBe(0);
    const hist = 'berth_driver_operation_duration_seconds';
    expect(
      await sample(registry, `${hist}_count`, 'driver="mock-docker",operation="getContainer"'),
    ).toBe(3);
    expect(
      await sample(
        registry,
        `${hist}_bucket`,
        'le="+Inf",driver="mock-docker",operation="getContainer"',
      ),
    ).toBe(3);
    expect(
      await sample(registry, `${hist}_sum`, 'driver="mock-docker",operation="getContainer"'),
    ).toBeLessThan(1);
  });

  it('never puts container ids in labels', async () => {
    const driver = withMetrics(new MockDockerDriver());
    const c = await driver.createContainer({ sessionId: 's1', image: 'x' });
    await driver.stopContainer(c.id).catch(() => undefined);
    await driver.removeContainer(c.id);
    await driver.removeContainer(c.id).catch(() => undefined);
    const text = await driver.metricsRegistry.metrics();
    expect(text).not.toContain(c.id);
    expect(text).not.toContain(c.name);
  });

  it('counts errors by Berth code, unknown without one, other for unlisted codes', async () => {
    const mock = new MockDockerDriver();
    const driver = withMetrics(mock);
    const registry = driver.metricsRegistry;
    await expect(driver.removeContainer('0'.repeat(64))).rejects.toBeInstanceOf(
      ContainerNotFoundError,
    );
    mock.faults.failNext('listContainers', 2, () => new Error('plain'));
    mock.faults.failNext('listVolumes', 1, () => new DriverError('made up', 'MY_OWN_CODE'));
    await expect(driver.listContainers()).rejects.toThrow('plain');
    await expect(driver.listContainers()).rejects.toThrow('plain');
    await expect(driver.listVolumes()).rejects.toThrow('made up');

    const errors = 'berth_driver_operation_errors_total';
    expect(
      await sample(
        registry,
        errors,
        'driver="mock-docker",operation="removeContainer",code="CONTAINER_NOT_FOUND"',
      ),
    ).toBe(1);
    expect(
      await sample(
        registry,
        errors,
        'driver="mock-docker",operation="listContainers",code="unknown"',
      ),
    ).toBe(2);
    expect(
      await sample(registry, errors, 'driver="mock-docker",operation="listVolumes",code="other"'),
    ).toBe(1);
    const ops = 'berth_driver_operations_total';
    expect(
      await sample(
        registry,
        ops,
        'driver="mock-docker",operation="listContainers",outcome="error"',
      ),
    ).toBe(2);
    expect(
      await sample(
        registry,
        'berth_driver_operation_duration_seconds_count',
        'driver="mock-docker",operation="listContainers"',
      ),
    ).toBe(2);
    expect(await registry.getSingleMetricAsString(errors)).not.toContain('MY_OWN_CODE');
  });

  it('keeps extra codes it was told about', async () => {
    const mock = new MockDockerDriver();
    const driver = withMetrics(mock, { extraErrorCodes: ['MY_OWN_CODE'] });
    mock.faults.failNext('listVolumes', 1, () => new DriverError('made up', 'MY_OWN_CODE'));
    await expect(driver.listVolumes()).rejects.toThrow('made up');
    expect(
      await sample(
        driver.metricsRegistry,
        'berth_driver_operation_errors_total',
        'driver="mock-docker",operation="listVolumes",code="MY_OWN_CODE"',
      ),
    ).toBe(1);
  });

  it('counts an aborted call as aborted, not as an error', async () => {
    const driver = withMetrics(new MockDockerDriver());
    const signal = AbortSignal.abort();
    await expect(driver.listContainers({}, { signal })).rejects.toThrow();
    const registry = driver.metricsRegistry;
    const ops = 'berth_driver_operations_total';
    expect(
      await sample(
        registry,
        ops,
        'driver="mock-docker",operation="listContainers",outcome="aborted"',
      ),
    ).toBe(1);
    expect(
      await sample(
        registry,
        ops,
        'driver="mock-docker",operation="listContainers",outcome="error"',
      ),
    ).toBe(0);
    expect(
      await registry.getSingleMetricAsString('berth_driver_operation_errors_total'),
    ).not.toContain('listContainers');
  });

  it('times streamLogs until iteration ends, and counts it once', async () => {
    const mock = new MockDockerDriver();
    const driver = withMetrics(mock);
    const c = await driver.createContainer({
      sessionId: 's1',
      image: 'x',
      command: ['echo', 'hi'],
    });
    await driver.startContainer(c.id);
    const stream = driver.streamLogs(c.id);
    const registry = driver.metricsRegistry;
    const count = 'berth_driver_operation_duration_seconds_count';
    const labels = 'driver="mock-docker",operation="streamLogs"';
    // Nothing runs before iteration, as with a bare driver.
    expect(await sample(registry, count, labels)).toBeUndefined();
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    expect(await sample(registry, count, labels)).toBeUndefined();
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {}
    expect(await sample(registry, count, labels)).toBe(1);
    expect(
      await sample(registry, 'berth_driver_operations_total', `${labels},outcome="success"`),
    ).toBe(1);
  });

  it('counts a stream that fails as it is read as an error', async () => {
    const mock = new MockDockerDriver();
    const driver = withMetrics(mock);
    mock.faults.failNext('streamLogs', 1, () => new ContainerNotFoundError('c'));
    await expect(async () => {
      for await (const _ of driver.streamLogs('c')) {
      }
    }).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect(
      await sample(
        driver.metricsRegistry,
        'berth_driver_operation_errors_total',
        'driver="mock-docker",operation="streamLogs",code="CONTAINER_NOT_FOUND"',
      ),
    ).toBe(1);
  });

  it('uses its own registry, or the one given, never the global one', async () => {
    const own = withMetrics(new MockDockerDriver());
    await own.listContainers();
    expect(await globalRegistry.metrics()).not.toContain('berth_driver');

    const registry = new Registry();
    const a = withMetrics(new MockDockerDriver(), { registry, prefix: 'app_' });
    const b = withMetrics(new MockDockerDriver(), { registry, prefix: 'app_' });
    await a.listVolumes();
    await b.listVolumes();
    expect(a.metricsRegistry).toBe(registry);
    // Two drivers on one registry share the metric and add up.
    expect(
      await sample(
        registry,
        'app_driver_operations_total',
        'driver="mock-docker",operation="listVolumes",outcome="success"',
      ),
    ).toBe(2);
  });

  it('passes the driver through otherwise', async () => {
    const mock = new MockDockerDriver();
    const driver = withMetrics(mock);
    expect(driver.name).toBe('mock-docker');
    expect(driver.faults).toBe(mock.faults);
    await driver.listContainers();
    expect(mock.calls.map((c) => c.operation)).toContain('listContainers');
  });

  it('refuses bad options with a ConfigurationError', () => {
    const mock = new MockDockerDriver();
    expect(() => withMetrics(mock, { prefix: '1bad' })).toThrow(ConfigurationError);
    expect(() => withMetrics(mock, { buckets: [1, 0.5] })).toThrow(ConfigurationError);
    expect(() => withMetrics(mock, { registry: {} as Registry })).toThrow(ConfigurationError);
    expect(() => withMetrics(null as unknown as MockDockerDriver)).toThrow(ConfigurationError);
    const registry = new Registry();
    new Gauge({ name: 'berth_driver_operations_total', help: 'x', registers: [registry] });
    expect(() => withMetrics(mock, { registry })).toThrow(ConfigurationError);
  });
});
