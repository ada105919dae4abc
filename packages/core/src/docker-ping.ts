import { request } from 'node:http';

export interface PingOptions {
  dockerHost?: string;
  timeoutMs?: number;
}

/** Where a DOCKER_HOST-style address points, as node:http options. */
export function engineAddress(
  dockerHost = process.env.DOCKER_HOST,
): { socketPath: string } | { host: string; port: number } {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/** True when an engine answers the API's `/_ping` within the timeout. Never throws. */
export function pingDockerEngine(options: PingOptions = {}): Promise<boolean> {
  let address: ReturnType<typeof engineAddress>;
  try {
    address = engineAddress(options.dockerHost);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolvePing) => {
    const req = request(
      { ...address, path: '/_ping', method: 'GET', timeout: options.timeoutMs ?? 1000 },
      (res) => {
        res.resume();
        resolvePing(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolvePing(false));
    req.end();
  });
}
