import { ConfigurationError } from './errors/index.js';
import type { ContainerInstance, PublishedPort } from './types.js';

/** The published mapping of a container port, or a ConfigurationError that says how to get one. */
export function publishedPort(
  instance: Pick<ContainerInstance, 'id' | 'ports'>,
  containerPort: number,
  protocol: 'tcp' | 'udp' = 'tcp',
): PublishedPort {
  const found = instance.ports.find(
    (p) => p.container === containerPort && p.protocol === protocol,
  );
  if (found) return found;
  const published = instance.ports.map((p) => `${p.container}/${p.protocol}`).join(', ') || 'none';
  throw new ConfigurationError(
    `Container ${instance.id} does not publish port ${containerPort}/${protocol} (published: ${published}); add { container: ${containerPort} } to its config's ports`,
  );
}

/**
 * Where the host reaches a published port: a wildcard bind address is reached on loopback, and
 * an IPv6 address is bracketed for use in a URL.
 */
export function hostAddress(port: PublishedPort): { host: string; port: number; url: string } {
  let host = port.hostIp;
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  const inUrl = host.includes(':') ? `[${host}]` : host;
  return { host, port: port.host, url: `${inUrl}:${port.host}` };
}

/**
 * The URL of a container port as the host reaches it, e.g.
 * `containerUrl(await driver.getContainer(id), 8080, '/health')` → `http://127.0.0.1:49153/health`.
 */
export function containerUrl(
  instance: Pick<ContainerInstance, 'id' | 'ports'> | null,
  containerPort: number,
  path = '/',
  scheme: 'http' | 'https' | 'ws' | 'wss' = 'http',
): string {
  if (!instance) throw new ConfigurationError('containerUrl: the container is gone (got null)');
  if (!path.startsWith('/')) {
    throw new ConfigurationError(`containerUrl: path must start with '/', got ${path}`);
  }
  return `${scheme}://${hostAddress(publishedPort(instance, containerPort)).url}${path}`;
}
