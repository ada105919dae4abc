import type * as Http from 'node:http';
import { createRequire } from 'node:module';

/**
 * node:http, loaded as CommonJS. Imported as an ES module, Node builds a facade of every export,
 * which reads its lazy ones too and so loads undici for `WebSocket` (~7 ms of each process's
 * start) although the driver never uses it.
 */
export const http: typeof Http = createRequire(import.meta.url)('node:http');
