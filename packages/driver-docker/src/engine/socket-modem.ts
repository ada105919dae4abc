import type { ClientRequest, IncomingMessage } from 'node:http';
import { stringify } from 'node:querystring';
import { addAbortSignal } from 'node:stream';
import type { DockerClient, DockerDialRequest } from './connection.js';
import { http } from './node-http.js';

/*
 * A transport of our own for the common case, an engine on a Unix socket: what dockerode's modem
 * does for the requests the driver makes, over node:http alone. dockerode loads ssh2 and gRPC
 * up front (~110 ms and ~15 MB of every process that uses the driver); TCP, TLS and SSH engines
 * still go through it.
 */

type Callback = (error: unknown, data?: unknown) => void;

/** The error a non-success status rejects with, as dockerode's modem shapes it. */
function statusError(res: IncomingMessage, json: unknown): Error {
  const cause =
    typeof json === 'object' && json !== null && 'message' in json
      ? String((json as { message: unknown }).message)
      : Buffer.isBuffer(json)
        ? json.toString()
        : String(json);
  return Object.assign(new Error(`(HTTP code ${res.statusCode}) unexpected - ${cause} `), {
    statusCode: res.statusCode,
    json,
  });
}

function parse(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString());
  } catch {
    return buffer;
  }
}

/** The query as the modem writes it: plain objects as JSON, the rest as querystring does. */
function query(values: Record<string, unknown>): string {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    flat[key] =
      value && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value) : value;
  }
  const text = stringify(flat as Parameters<typeof stringify>[0]);
  return text === '' ? '' : `?${text}`;
}

export class SocketModem {
  /** Never follows a redirect: EngineClient need not turn that off (see client.ts). */
  readonly followsRedirects = false;
  readonly socketPath: string;
  readonly #version: string | undefined;
  readonly #timeout: number | undefined;

  constructor(socketPath: string, version?: string, timeout?: number) {
    this.socketPath = socketPath;
    this.#version = version;
    this.#timeout = timeout;
  }

  dial(options: DockerDialRequest, callback: Callback): void {
    const base = options.path.endsWith('?') ? options.path.slice(0, -1) : options.path;
    const path = `${this.#version ? `/${this.#version}` : ''}${base}${query(options.options._query)}`;
    const headers: Record<string, string | number> = {};
    let data: string | undefined;
    if (options.file) {
      headers['Content-Type'] = 'application/tar';
    } else if (options.method === 'POST') {
      const body = JSON.stringify(options.options._body ?? {});
      // An empty body is no body: endpoints such as start refuse `{}`.
      if (body !== '{}' && body !== '""') {
        data = body;
        headers['Content-Type'] = 'application/json';
      }
    }
    if (data !== undefined) headers['Content-Length'] = Buffer.byteLength(data);
    else if (options.method === 'PUT' || options.hijack) headers['Transfer-Encoding'] = 'chunked';
    if (options.hijack) {
      headers.Connection = 'Upgrade';
      headers.Upgrade = 'tcp';
    }
    let req: ClientRequest;
    try {
      req = http.request({
        socketPath: this.socketPath,
        path,
        method: options.method,
        headers,
        ...(options.abortSignal ? { signal: options.abortSignal } : {}),
      });
    } catch (error) {
      callback(error);
      return;
    }
    this.#send(req, options, data, callback);
  }

  #send(
    req: ClientRequest,
    options: DockerDialRequest,
    data: string | undefined,
    callback: Callback,
  ): void {
    let finished = false;
    const finish = (error: unknown, value?: unknown) => {
      if (finished) return;
      finished = true;
      callback(error, value);
    };
    if (this.#timeout) {
      req.setTimeout(this.#timeout, () => req.destroy(new Error('Timeout of the request')));
    }
    if (options.hijack) {
      req.on('upgrade', (_res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        finish(null, socket);
      });
    }
    req.on('response', (res) => {
      const ok = options.statusCodes[res.statusCode ?? 0] === true;
      if (options.isStream && ok) return finish(null, res);
      if (options.abortSignal && !options.isStream) addAbortSignal(options.abortSignal, res);
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => finish(error));
      res.on('end', () => {
        const json = parse(Buffer.concat(chunks));
        finish(ok ? null : statusError(res, json), ok ? json : undefined);
      });
    });
    req.on('error', (error) => finish(error));
    if (data !== undefined) {
      req.end(data);
    } else if (options.file) {
      const file = options.file as NodeJS.ReadableStream & {
        on(e: 'error', f: (e: Error) => void): void;
      };
      file.on('error', (error) => req.destroy(error));
      file.pipe(req);
    } else {
      req.end();
    }
  }
}

/**
 * The Unix socket the connection options and environment point at, when nothing asks for more
 * than a socket (TCP, TLS, SSH): those go through dockerode.
 */
export function plainSocketPath(options: Record<string, unknown>): string | undefined {
  for (const key of ['host', 'port', 'protocol', 'ca', 'cert', 'key']) {
    if (options[key] !== undefined) return undefined;
  }
  if (typeof options.socketPath === 'string') return options.socketPath;
  const fromEnv = process.env.DOCKER_HOST;
  if (fromEnv === undefined || fromEnv === '') return '/var/run/docker.sock';
  return fromEnv.startsWith('unix://') ? fromEnv.slice('unix://'.length) : undefined;
}

/** A client over the socket, shaped as the driver's `docker` option is. */
export function socketClient(socketPath: string, version?: string, timeout?: number): DockerClient {
  return { modem: new SocketModem(socketPath, version, timeout) } as unknown as DockerClient;
}
