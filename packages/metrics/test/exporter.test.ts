import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '@berth/core';
import { MockDockerDriver } from '@berth/driver-mock';
import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, metricsHandler, serveMetrics, withMetrics } from '../src/index.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('serveMetrics', () => {
  it('serves the exposition format at /metrics and 404 elsewhere', async () => {
    const driver = withMetrics(new MockDockerDriver());
    await driver.listContainers();
    const server = await serveMetrics({ registry: driver.metricsRegistry, port: 0 });
    servers.push(server);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    for (const name of [
      'berth_driver_operations_total',
      'berth_driver_operation_duration_seconds',
      'berth_driver_operation_errors_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain(
      'berth_driver_operations_total{driver="mock-docker",operation="listContainers",outcome="success"} 1',
    );

    const other = await fetch(server.url.replace('/metrics', '/other'));
    expect(other.status).toBe(404);
    await other.text();
    const post = await fetch(server.url, { method: 'POST' });
    expect(post.status).toBe(405);
    await post.text();
  });

  it('answers 500 when a collector fails, and keeps serving', async () => {
    const registry = new Registry();
    let fail = true;
    new Gauge({
      name: 'flaky',
      help: 'fails once',
      registers: [registry],
      collect() {
        if (fail) {
          fail = false;
          throw new Error('backend gone');
        }
        this.set(1);
      },
    });
    const server = await serveMetrics({ registry, port: 0 });
    servers.push(server);
    const failed = await fetch(server.url);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain('backend gone');
    const ok = await fetch(server.url);
    expect(await ok.text()).toContain('flaky 1');
  });

  it('refuses bad options with a ConfigurationError', async () => {
    const registry = new Registry();
    await expect(serveMetrics({ registry, port: -1 })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(serveMetrics({ registry, port: 1.5 })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(serveMetrics({ registry: {} as Registry, port: 0 })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });
});

describe('metricsHandler', () => {
  it('mounts in a server of your own', async () => {
    const registry = new Registry();
    new Gauge({ name: 'answer', help: 'h', registers: [registry] }).set(42);
    const handle = metricsHandler(registry);
    const server = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/anything`);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
      expect(await response.text()).toContain('answer 42');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
