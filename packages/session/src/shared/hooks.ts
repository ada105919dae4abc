/**
 * Calls a user's hook so that nothing it does can break the caller: a throw, or a rejection of
 * the promise it returns, becomes a process warning (as TypedEvents does for listeners), since
 * the monitor or recovery calling it must keep going whatever the hook does.
 */
export function callHook<A extends unknown[]>(
  name: string,
  hook: ((...args: A) => unknown) | undefined,
  ...args: A
): void {
  if (!hook) return;
  try {
    const result = hook(...args);
    if (isThenable(result)) result.then(undefined, (error) => warnHookFailed(name, error));
  } catch (error) {
    warnHookFailed(name, error);
  }
}

export function warnHookFailed(name: string, error: unknown): void {
  warn('BerthHookError', `the ${name} hook failed`, error);
}

/** A failure that must not stop a background loop, surfaced where a user can see it. */
export function warn(type: string, detail: string, error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)), { type, detail });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
