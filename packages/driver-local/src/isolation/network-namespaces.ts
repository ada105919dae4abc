import type { execa as Execa } from 'execa';

/*
 * Network namespaces through iproute2: what an internal network is made of where the host lets
 * the driver make them (see NetworkStore), and what fingerprinting probes.
 */

/** Where `ip netns` keeps named network namespaces. */
const NETNS_DIR = '/run/netns';

/** How networks are made on this host: real namespaces through iproute2, or records only. */
export interface NetworkBackend {
  execa: typeof Execa;
  /** iproute2's ip, where the host lets the driver make network namespaces (root). */
  ip?: string;
}

/** Runs `ip` with the given arguments; throws with its stderr when it fails. */
export async function runIp(backend: NetworkBackend, args: string[]): Promise<string> {
  if (!backend.ip) throw new Error('iproute2 is not available');
  const result = await backend.execa(backend.ip, args, {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
    env: {},
    extendEnv: false,
  });
  if (result.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')}: ${String(result.stderr ?? '').trim() || 'failed'}`);
  }
  return String(result.stdout ?? '');
}

/** Makes a named network namespace holding nothing but a loopback that is up. */
export async function makeNamespace(backend: NetworkBackend, name: string): Promise<string> {
  await runIp(backend, ['netns', 'add', name]);
  try {
    await runIp(backend, ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await runIp(backend, ['netns', 'delete', name]).catch(() => undefined);
    throw error;
  }
  return `${NETNS_DIR}/${name}`;
}

/** Deletes a namespace makeNamespace made, as far as it goes: one that will not go is left. */
export async function deleteNamespace(backend: NetworkBackend, netns: string): Promise<void> {
  const name = netns.slice(NETNS_DIR.length + 1);
  await runIp(backend, ['netns', 'delete', name]).catch(() => undefined);
}
