import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError } from '@berth/core';
import type { Registry } from 'prom-client';
import { checkRegistry } from '../shared/names.js';

export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A Node request handler serving `registry` in the text exposition format, whatever the path:
 * mount it where your server routes `/metrics`. A collector that fails turns into a 500 rather
 * than an unhandled rejection in the server.
 */
export function metricsHandler(registry: Registry): MetricsRequestHandler {
  const checked = checkRegistry(registry, 'metricsHandler');
  if (!checked) throw new ConfigurationError('metricsHandler: a prom-client Registry is required');
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    checked.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': checked.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(
          `Collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      },
    );
  };
}
