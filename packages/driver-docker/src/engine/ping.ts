import type { RequestOptions } from 'node:http';
import type { DockerConnectionOptions } from './connection.js';
import { http } from './node-http.js';

const httpRequest = http.request;

export interface PingOptions
  extends Pick<
    DockerConnectionOptions,
    'socketPath' | 'host' | 'port' | 'protocol' | 'ca' | 'cert' | 'key'
  > {
  /**
   * A DOCKER_HOST-style address (`unix:///run/docker.sock`, `tcp://10.0.0.5:2375`), used when
   * neither `socketPath` nor `host` is given; DOCKER_HOST itself when this is not given either.
   */
  dockerHost?: string;
  /** How long to wait for the answer; 1000 ms by default. */
  timeoutMs?: number;
}

type EngineAddress = { socketPath: string } | { host: string; port: number };

/** Where a DOCKER_HOST-style address points, as node:http options. Throws on a malformed one. */
export function engineAddress(dockerHost = process.env.DOCKER_HOST): EngineAddress {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

function requestOptions(options: PingOptions): RequestOptions & { tls: boolean } {
  if (options.socketPath) return { socketPath: options.socketPath, tls: false };
  if (options.host) {
    const tls = options.protocol === 'https';
    const port = Number(options.port ?? (tls ? 2376 : 2375));
    const keys = { ca: options.ca, cert: options.cert, key: options.key };
    return { host: options.host, port, tls, ...(tls ? keys : {}) } as RequestOptions & {
      tls: boolean;
    };
  }
  return { ...engineAddress(options.dockerHost), tls: false };
}

/**
 * True when an engine answers the API's `/_ping` within the timeout, at the address the
 * options give (as the driver would reach it). Never throws: an address it cannot reach or
 * cannot ping without more than HTTP (ssh) is `false`.
 */
export function pingDockerEngine(options: PingOptions = {}): Promise<boolean> {
  if (options.protocol === 'ssh') return Promise.resolve(false);
  let target: ReturnType<typeof requestOptions>;
  try {
    target = requestOptions(options);
  } catch {
    return Promise.resolve(false);
  }
  const { tls, ...address } = target;
  // node:https (and TLS with it) costs ~20 ms to load: only a TLS engine pays for it.
  const request = tls ? import('node:https').then((m) => m.request) : Promise.resolve(httpRequest);
  return request.then((send) => ping(send, address, options.timeoutMs));
}

function ping(
  send: typeof httpRequest,
  address: RequestOptions,
  timeoutMs: number | undefined,
): Promise<boolean> {
  return new Promise((resolvePing) => {
    try {
      const req = send(
        { ...address, path: '/_ping', method: 'GET', timeout: timeoutMs ?? 1000 },
        (res) => {
          res.resume();
          resolvePing(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolvePing(false));
      req.end();
    } catch {
      // node:http throws synchronously on some bad options (an invalid port).
      resolvePing(false);
    }
  });
}
