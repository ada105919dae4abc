import { join } from 'node:path';
import {
  ensureKeeperProcess,
  FileLifetimeStore,
  keeperProgram,
  type LifetimeSupport,
} from '@berth/core/kit';
import type { DockerDriverOptions } from '../docker-driver.js';
import { CONNECTION_KEYS } from '../engine/connection.js';
import { dockerStateDir } from '../engine/state-dir.js';

/** What the keeper process is given to reach the same engine and the same records. */
export interface KeeperInput {
  connection: Record<string, unknown>;
  stateDir: string;
}

/** The connection options as JSON: TLS material as PEM text; undefined when one cannot be. */
function connectionInput(options: DockerDriverOptions): Record<string, unknown> | undefined {
  const connection: Record<string, unknown> = {};
  const plain = (value: unknown): unknown => {
    if (typeof value === 'string' || typeof value === 'number') return value;
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    if (Array.isArray(value)) {
      const items = value.map(plain);
      return items.includes(undefined) ? undefined : items;
    }
    return undefined;
  };
  for (const key of CONNECTION_KEYS) {
    const value = options[key];
    if (value === undefined) continue;
    const converted = plain(value);
    if (converted === undefined) return undefined;
    connection[key] = converted;
  }
  return connection;
}

export type DockerLifetimes =
  | { support: LifetimeSupport }
  | { support?: undefined; reason: string };

/**
 * Lifetimes on Docker: the engine has no time to live of its own, so a keeper process on this
 * host enforces them, reaching the engine as this driver does; records (extensions, last use)
 * are files in the state directory, shared by every driver instance for the same engine.
 */
export function dockerLifetimes(options: DockerDriverOptions): DockerLifetimes {
  if (options.docker) {
    return {
      reason:
        'the driver was given a ready client (`docker`), which its keeper process cannot use; pass connection options instead',
    };
  }
  const connection = connectionInput(options);
  if (!connection) {
    return {
      reason:
        'a connection option cannot be handed to the keeper process (TLS keys as KeyObject); pass them as PEM text',
    };
  }
  const stateDir = dockerStateDir(options);
  const input: KeeperInput = { connection, stateDir };
  return {
    support: {
      store: new FileLifetimeStore(join(stateDir, 'lifetimes')),
      ensureKeeper: () =>
        ensureKeeperProcess({
          dir: stateDir,
          script: keeperProgram(import.meta.url, '@berth/driver-docker'),
          input,
        }),
    },
  };
}
