import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { EngineNetwork } from '../mapping/volume-network.js';
import type { EngineInfo } from './capabilities.js';
import { cachedIsolation, rememberIsolation } from './probe-cache.js';
import type { EngineSession } from './session.js';

/*
 * An `internal` network of the engine filters forwarding, not traffic to the host itself: with
 * the bridge holding an address, a container reaches the host's listeners on it (and on
 * docker0's), with or without the engine's iptables rules. A bridge made with
 * `inhibit_ipv4` holds no address, so the host is not on the network at all; containers on it
 * still reach each other.
 */

/** The bridge options of an internal network. */
export const INTERNAL_BRIDGE_OPTIONS = { 'com.docker.network.bridge.inhibit_ipv4': 'true' };

export interface NetworkCalls {
  create(body: Record<string, unknown>): Promise<{ Id: string }>;
  inspect(id: string): Promise<{ Id: string; Options?: Record<string, string> | null }>;
  remove(id: string): Promise<void>;
}

/** The host interface of a bridge network, as the engine names it. */
export function bridgeInterface(network: {
  Id: string;
  Options?: Record<string, string> | null;
}): string {
  return network.Options?.['com.docker.network.bridge.name'] ?? `br-${network.Id.slice(0, 12)}`;
}

/**
 * Whether an internal network made as the driver makes one keeps the host off it: its bridge is
 * on this host (an engine elsewhere cannot be checked from here) and holds no IPv4 address.
 * Any failure is a no: isolation is claimed only where it was seen.
 */
export async function probeInternalIsolation(
  calls: NetworkCalls,
): Promise<{ isolated: boolean; reason?: string }> {
  let id: string | undefined;
  try {
    ({ Id: id } = await calls.create({
      Name: `berth-probe-${randomBytes(6).toString('hex')}`,
      Driver: 'bridge',
      Internal: true,
      Options: INTERNAL_BRIDGE_OPTIONS,
      Labels: { 'berth.probe': 'true' },
    }));
    const bridge = bridgeInterface(await calls.inspect(id));
    if (!existsSync(`/sys/class/net/${bridge}`)) {
      return {
        isolated: false,
        reason: `the bridge ${bridge} is not on this host: cannot check it`,
      };
    }
    const ipv4 = (networkInterfaces()[bridge] ?? []).filter((a) => a.family === 'IPv4');
    if (ipv4.length > 0) {
      return { isolated: false, reason: `the bridge ${bridge} holds ${ipv4[0]?.address}` };
    }
    return { isolated: true };
  } catch (error) {
    return {
      isolated: false,
      reason: `cannot probe an internal network: ${(error as Error).message}`,
    };
  } finally {
    if (id !== undefined) await calls.remove(id).catch(() => undefined);
  }
}

/** Isolation probes by engine address (see isolationOf). */
const ISOLATION_PROBES = new Map<string, Promise<{ isolated: boolean; reason?: string }>>();

/**
 * The isolation probe's answer: once per engine address and process (drivers of one
 * application share it), once per driver for an injected client.
 */
export function isolationOf(
  session: EngineSession,
  info: EngineInfo,
): Promise<{ isolated: boolean; reason?: string }> {
  if (cachedIsolation(session.stateDir, info)) return Promise.resolve({ isolated: true });
  const address = session.address();
  if (address === undefined) return remembered(session, info);
  let probe = ISOLATION_PROBES.get(address);
  if (!probe) {
    probe = remembered(session, info);
    ISOLATION_PROBES.set(address, probe);
  }
  return probe;
}

async function remembered(session: EngineSession, info: EngineInfo) {
  const result = await probeInternalIsolation(networkCalls(session));
  if (result.isolated) rememberIsolation(session.stateDir, info);
  return result;
}

/** The three calls the isolation probe makes, through the same door as every other. */
function networkCalls(session: EngineSession): NetworkCalls {
  return {
    create: (body) =>
      session.call<{ Id: string }>(
        { method: 'POST', path: '/networks/create', body },
        { kind: 'network', op: 'create', id: String(body.Name) },
      ),
    inspect: (id) =>
      session.call<EngineNetwork>(
        { method: 'GET', path: `/networks/${encodeURIComponent(id)}` },
        { kind: 'network', op: 'other', id },
      ),
    remove: (id) =>
      session.call<void>(
        { method: 'DELETE', path: `/networks/${encodeURIComponent(id)}` },
        { kind: 'network', op: 'remove', id },
      ),
  };
}
