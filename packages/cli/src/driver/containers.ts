import {
  ConfigurationError,
  type ContainerDriver,
  type ContainerInstance,
  ContainerNotFoundError,
  isObjectId,
} from '@berth/core';
import { UsageError } from '../errors/cli-errors.js';
import { quoted } from '../output/sanitize.js';

/** Short ids as `ps` shows them; any unique prefix of an id works where an id does. */
export const SHORT_ID = 12;

/**
 * Refuses what cannot be a container id or name before any driver call, so a hostile
 * argument (a NUL, a newline, a path, 100 000 characters) is one line naming the rule.
 */
export function checkRef(ref: string): void {
  if (isObjectId(ref)) return;
  throw new ConfigurationError(
    `${quoted(ref)} is not a container id or name: ids and names are 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit`,
  );
}

/**
 * The container `ref` names: its id or name, or a unique prefix of its id (as docker takes
 * `3f2a` for a long id). ContainerNotFoundError when nothing matches; a prefix matching
 * several is a usage error listing them.
 */
export async function findContainer(
  driver: ContainerDriver,
  ref: string,
  signal?: AbortSignal,
): Promise<ContainerInstance> {
  checkRef(ref);
  const options = signal ? { signal } : {};
  const found = await driver.getContainer(ref, options);
  if (found) return found;
  if (/^[0-9a-f]+$/i.test(ref)) {
    const prefix = ref.toLowerCase();
    const matches = (await driver.listContainers({}, options)).filter((c) =>
      c.id.toLowerCase().startsWith(prefix),
    );
    if (matches.length === 1) return matches[0] as ContainerInstance;
    if (matches.length > 1) {
      const ids = matches.slice(0, 5).map((c) => c.id.slice(0, SHORT_ID + 4));
      throw new UsageError(
        `${quoted(ref)} is the start of ${matches.length} container ids (${ids.join(', ')}${
          matches.length > 5 ? ', …' : ''
        }): give more of the id`,
      );
    }
  }
  throw new ContainerNotFoundError(ref);
}
