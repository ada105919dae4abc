import { eventually as kitEventually, type PollOptions } from '@berth/testkit';
/** The testkit's wait, with this package's defaults: it fails naming what it waited for and what it saw last. */
export function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  return kitEventually(what, look, done, { timeoutMs: 10_000, everyMs: 50, ...options });
}
