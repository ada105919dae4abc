import { ContainerNotFoundError, ContainerRemoveError, type WaitResult } from '@berth/core';
import type { ParsedRemoveOptions, ParsedStopOptions, PrimitiveContext } from '@berth/core/kit';
import { statusOf } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';
import { explainRefusal } from './control.js';

/** The engine's answer to a remove while another remove of the same container runs. */
function removalInProgress(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause;
  return (
    statusOf(cause) === 409 &&
    /removal of container .* is already in progress/i.test(String((cause as Error)?.message ?? ''))
  );
}

export async function startContainer(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<void> {
  await session.requireManaged(id, options.signal);
  // 304: already running, which the contract makes a no-op.
  await session
    .call(
      { method: 'POST', path: session.path(id, '/start'), ok: [204, 304], signal: options.signal },
      { kind: 'container', op: 'start', id },
    )
    .catch(async (error: unknown) => {
      // A paused container is no start failure (retrying cannot help): it is to be resumed.
      throw await explainRefusal(session, id, 'start', error, options.signal);
    });
}

export async function stopContainer(
  session: EngineSession,
  id: string,
  options: ParsedStopOptions,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  await session.requireManaged(id, signal);
  if (options.force) {
    try {
      await session.call(
        { method: 'POST', path: session.path(id, '/kill'), query: { signal: 'SIGKILL' }, signal },
        { kind: 'container', op: 'stop', id },
      );
    } catch (error) {
      // 409: not running, so already stopped.
      if (statusOf((error as { cause?: unknown }).cause) !== 409) throw error;
      return;
    }
    // A kill returns once the signal is sent; stop's promise is that it has ended.
    await session.call(
      {
        method: 'POST',
        path: session.path(id, '/wait'),
        query: { condition: 'not-running' },
        signal,
      },
      { kind: 'container', op: 'stop', id },
    );
    return;
  }
  await session.call(
    {
      method: 'POST',
      path: session.path(id, '/stop'),
      query: { t: options.timeout },
      ok: [204, 304],
      signal,
    },
    { kind: 'container', op: 'stop', id },
  );
}

export async function restartContainer(
  session: EngineSession,
  id: string,
  options: ParsedStopOptions,
  ctx: PrimitiveContext,
): Promise<void> {
  await session.requireManaged(id, ctx.signal);
  await session.call(
    {
      method: 'POST',
      path: session.path(id, '/restart'),
      query: { t: options.force ? 0 : options.timeout },
      signal: ctx.signal,
    },
    { kind: 'container', op: 'start', id },
  );
}

export async function removeContainer(
  session: EngineSession,
  id: string,
  options: ParsedRemoveOptions,
  ctx: PrimitiveContext,
): Promise<void> {
  await session.requireManaged(id, ctx.signal);
  try {
    await session.call(
      {
        method: 'DELETE',
        path: session.path(id),
        query: { force: options.force, v: options.volumes },
        signal: ctx.signal,
      },
      { kind: 'container', op: 'remove', id },
    );
  } catch (error) {
    // Another remove of it is under way: the outcome both asked for, once it is gone.
    if (!removalInProgress(error)) throw error;
    await untilGone(session, id, ctx.signal);
  } finally {
    session.managed.delete(id);
  }
}

/** Waits (bounded) until the engine no longer knows the container. */
async function untilGone(
  session: EngineSession,
  id: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    try {
      await session.call(
        { method: 'GET', path: session.path(id, '/json'), signal },
        { kind: 'container', op: 'other', id },
      );
    } catch (error) {
      if (error instanceof ContainerNotFoundError) return;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new ContainerRemoveError(id, 'another removal of it did not finish within 30 s', {
    retryable: true,
  });
}

export async function waitContainer(
  session: EngineSession,
  id: string,
  options: PrimitiveContext,
): Promise<WaitResult> {
  const { signal } = options;
  await session.requireManaged(id, signal, 'reads');
  const result = await session.call<{ StatusCode: number }>(
    {
      method: 'POST',
      path: session.path(id, '/wait'),
      query: { condition: 'not-running' },
      signal,
    },
    { kind: 'container', op: 'other', id },
  );
  const info = await session.inspectOrThrow(id, signal);
  return { exitCode: result.StatusCode, oomKilled: info.State.OOMKilled === true };
}
