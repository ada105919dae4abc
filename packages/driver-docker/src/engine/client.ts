import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { ConfigurationError } from '@berth/core';
import type { DockerClient } from './connection.js';

type QueryValue = string | number | boolean | undefined | Record<string, unknown>;

export interface EngineRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD';
  /** API path without version prefix or query, e.g. `/containers/abc/start`. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Status codes that count as success; the rest reject with the engine's message. */
  ok?: number[];
  signal?: AbortSignal | undefined;
  /** A body streamed as is (a tar), instead of `body` as JSON. */
  file?: NodeJS.ReadableStream | undefined;
}

/** What docker-modem rejects with for a non-success status: the engine's reply is in `json`. */
export interface EngineHttpError extends Error {
  statusCode?: number;
  json?: unknown;
}

const DEFAULT_OK = [200, 201, 204];

/**
 * One narrow door to the engine over dockerode's modem (which owns sockets, TLS and SSH).
 * dockerode's own helpers copy every create option into the query string as well as the body
 * and try to parse whole log buffers as JSON; going through `dial` directly avoids both.
 */
/**
 * docker-modem follows up to five redirects by default, to wherever the reply's Location says,
 * and a redirect to a host that does not answer ends as an 'error' event nobody listens to,
 * which kills the process. The engine redirects requests for paths it cleans up (`//`, `../`):
 * never following one keeps a request on the engine it was meant for.
 */
function refuseRedirects(): void {
  try {
    const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
    (fromDockerode('docker-modem/lib/http.js') as { maxRedirects: number }).maxRedirects = 0;
  } catch {
    // Another layout of docker-modem: ids are checked before any request anyway (isObjectId).
  }
}

export class EngineClient {
  readonly #modem: DockerClient['modem'];

  constructor(docker: DockerClient) {
    if (typeof (docker as Partial<DockerClient> | null)?.modem?.dial !== 'function') {
      throw new ConfigurationError(
        "The Docker driver's `docker` option must be a ready client whose modem has dial(), such as new Docker() from dockerode; leave it out to connect with socketPath, host or DOCKER_HOST.",
      );
    }
    if ((docker.modem as { followsRedirects?: boolean }).followsRedirects !== false) {
      refuseRedirects();
    }
    this.#modem = docker.modem;
  }

  json<T>(request: EngineRequest): Promise<T> {
    return this.#dial<T>(request, false);
  }

  stream(request: EngineRequest): Promise<IncomingMessage> {
    return this.#dial<IncomingMessage>(request, true);
  }

  /**
   * The raw connection of an upgraded request (an exec's start): the engine's output comes in
   * on it and what is written goes to the program's stdin. The request's signal covers the
   * upgrade only: aborting it once the socket is handed over leaves the socket alone.
   */
  hijack(request: EngineRequest): Promise<Duplex> {
    return this.#dial<Duplex>({ ...request, ok: [...(request.ok ?? []), 101, 200] }, true, true);
  }

  /**
   * Whether the engine may be on this host: a Unix socket, or TCP to a loopback address. False
   * only for an address that names another host; a stub that says nothing counts as local.
   */
  onThisHost(): boolean {
    const modem = this.#modem as { socketPath?: unknown; host?: unknown };
    if (modem.socketPath) return true;
    if (typeof modem.host !== 'string' || modem.host === '') return true;
    return ['localhost', '127.0.0.1', '::1', '[::1]'].includes(modem.host);
  }

  #dial<T>(request: EngineRequest, isStream: boolean, hijack = false): Promise<T> {
    const signal = request.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const query: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) query[key] = value;
    }
    const statusCodes: Record<number, boolean> = {};
    for (const code of request.ok ?? DEFAULT_OK) statusCodes[code] = true;
    return new Promise<T>((resolve, reject) => {
      this.#modem.dial(
        {
          path: `${request.path}?`,
          method: request.method,
          // `_body: {}` makes the modem send no body at all, which endpoints like start need.
          options: { _query: query, _body: request.body ?? {} },
          isStream,
          ...(hijack ? { hijack } : {}),
          statusCodes,
          abortSignal: signal,
          ...(request.file ? { file: request.file } : {}),
        },
        (error, data) => {
          if (error) reject(error);
          else resolve(data as T);
        },
      );
    });
  }
}
