/**
 * Looks with `look` every `everyMs` until `done` holds for what it saw, and returns that; past
 * `timeoutMs` it throws, naming what it waited for and what it saw last.
 */
export async function eventually<T>(
  what: string,
  look: () => T | Promise<T>,
  done: (seen: T) => boolean,
  { timeoutMs = 10_000, everyMs = 50 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await look();
    if (done(seen)) return seen;
    if (Date.now() > deadline) {
      throw new Error(
        `gave up after ${timeoutMs / 1000} s waiting for ${what}; last saw ${JSON.stringify(seen)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
