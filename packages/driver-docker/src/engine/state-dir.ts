import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DockerDriverOptions } from '../docker-driver.js';
import { CONNECTION_KEYS } from './connection.js';

/**
 * The driver's directory on this host: the `stateDir` option, else one per engine address under
 * `$XDG_STATE_HOME/berth/docker`, so two engines' records and keepers never meet.
 */
export function dockerStateDir(options: DockerDriverOptions): string {
  if (options.stateDir !== undefined) return options.stateDir;
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const where = JSON.stringify([
    CONNECTION_KEYS.map((key) => {
      const value = options[key];
      return typeof value === 'string' || typeof value === 'number' ? value : null;
    }),
    process.env.DOCKER_HOST ?? null,
  ]);
  const key = createHash('sha256').update(where).digest('hex').slice(0, 16);
  return join(base, 'berth', 'docker', key);
}
