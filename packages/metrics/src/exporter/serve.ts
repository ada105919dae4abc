import { createServer } from 'node:http';
import { ConfigurationError } from '@berth/core';
import type { Registry } from 'prom-client';
import { metricsHandler } from './handler.js';

export interface ServeMetricsOptions {
  registry: Registry;
  /** 0 picks a free port; the chosen one is in `url`. */
  port: number;
  /** Loopback by default: metrics say what runs where, so exposing them is a deliberate choice. */
  host?: string;
  /** Default `/metrics`; every other path is a 404. */
  path?: string;
}

export interface MetricsServer {
  /** Where the metrics are, e.g. `http://127.0.0.1:9464/metrics`. */
  url: string;
  close(): Promise<void>;
}

/** A standalone HTTP server for `registry`, listening once the promise resolves. */
export async function serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer> {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('serveMetrics options must be an object');
  }
  const { registry, port, host = '127.0.0.1', path = '/metrics' } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigurationError(`serveMetrics: port must be an integer 0–65535, got ${port}`);
  }
  if (typeof host !== 'string' || host.length === 0) {
    throw new ConfigurationError('serveMetrics: host must be a non-empty string');
  }
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new ConfigurationError('serveMetrics: path must start with /');
  }
  const handle = metricsHandler(registry);
  const server = createServer((req, res) => {
    const requested = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (requested === path) {
      handle(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive sockets of a scraper would otherwise hold close() open.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
