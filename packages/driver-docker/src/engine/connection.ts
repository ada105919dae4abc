import type { KeyObject } from 'node:crypto';

/**
 * How to reach the engine. Berth's own declaration of what the driver hands to dockerode, so
 * the published types need no engine SDK's: with none of these, DOCKER_HOST (and
 * DOCKER_CERT_PATH) decide, then the default socket.
 */
export interface DockerConnectionOptions {
  /** A Unix socket, e.g. `/var/run/docker.sock`. */
  socketPath?: string;
  /** An engine over TCP: its host name or address. */
  host?: string;
  port?: number | string;
  protocol?: 'http' | 'https' | 'ssh';
  /** TLS: the CA, client certificate and key (PEM) for an `https` engine. */
  ca?: string | string[] | Buffer | Buffer[];
  cert?: string | string[] | Buffer | Buffer[];
  key?: string | string[] | Buffer | Buffer[] | KeyObject[];
  /** Milliseconds before a request to the engine is given up. */
  timeout?: number;
  /** API version to speak, e.g. `v1.43`; the engine's own by default. */
  version?: string;
}

/** Every option that says where the engine is: what the driver hands to dockerode. */
export const CONNECTION_KEYS = [
  'socketPath',
  'host',
  'port',
  'protocol',
  'ca',
  'cert',
  'key',
  'timeout',
  'version',
] as const satisfies readonly (keyof DockerConnectionOptions)[];

/** One request as the driver dials it through a client's modem. */
export interface DockerDialRequest {
  /** API path without version prefix, ending in `?` (the modem appends the query). */
  path: string;
  method: string;
  options: { _query: Record<string, unknown>; _body: unknown };
  isStream: boolean;
  /**
   * Upgrade the connection (`Connection: Upgrade`, `Upgrade: tcp`) and hand over the raw
   * socket, both ways (an exec's start with stdin).
   */
  hijack?: boolean;
  /** Which status codes count as success. */
  statusCodes: Record<number, boolean>;
  abortSignal?: AbortSignal | undefined;
  /** A request body piped as is; the modem sends it chunked, as `application/tar`. */
  file?: NodeJS.ReadableStream;
}

/**
 * The part of a ready engine client the driver uses: its modem's `dial`, which owns sockets,
 * TLS and SSH. A dockerode `Docker` instance is one; so is a stub for unit tests.
 */
export interface DockerClient {
  readonly modem: {
    dial(request: DockerDialRequest, callback: (error: unknown, data: unknown) => void): void;
  };
}
