import {
  ConflictError,
  ContainerNotFoundError,
  type ContainerSignal,
  requireObjectId,
} from '@berth/core';
import type { PrimitiveContext } from '@berth/core/kit';
import type Dockerode from 'dockerode';
import { statusOf } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';

type EngineState = Dockerode.ContainerInspectInfo['State'];

/** What was asked of a container whose state may forbid it. */
export type ControlAction = 'signal' | 'pause' | 'resume' | 'exec' | 'spawn' | 'start';

const PAUSED: Record<Exclude<ControlAction, 'pause' | 'resume'>, string> = {
  signal: 'before signalling it',
  exec: 'before exec',
  spawn: 'before spawning in it',
  start: 'instead of starting it',
};

const VERB: Record<Exclude<ControlAction, 'start'>, string> = {
  signal: 'signal',
  pause: 'pause',
  resume: 'resume',
  exec: 'exec in',
  spawn: 'spawn in',
};

/**
 * The ConflictError a container's state makes of `action`, or undefined when the state allows
 * it. Decided from the state, not from the engine's wording, which differs between actions
 * and versions (and reports an unpause of a running container as a 500).
 */
export function stateConflict(
  id: string,
  action: ControlAction,
  state: EngineState,
): ConflictError | undefined {
  if (state.Paused) {
    if (action === 'pause' || action === 'resume') return undefined;
    return new ConflictError(
      `Container ${id} is paused: resume it (resumeContainer) ${PAUSED[action]}`,
    );
  }
  if (action === 'start' || state.Status === 'running') return undefined;
  const wanted = action === 'resume' ? 'paused' : 'running';
  let hint = '';
  if (state.Status === 'created' || state.Status === 'exited') {
    hint = '; start it with startContainer first';
  } else if (state.Status === 'restarting') {
    hint = '; try again once it is running';
  }
  return new ConflictError(
    `Cannot ${VERB[action]} container ${id}: it is ${state.Status}, not ${wanted}${hint}`,
  );
}

/**
 * The state behind an engine refusal of a call, read again; null when `error` is no refusal
 * (an abort, the engine away, a not-found) or the state cannot be read, so the caller throws
 * `error` itself. A container gone in between is not found.
 */
async function stateBehind(
  session: EngineSession,
  id: string,
  error: unknown,
  signal: AbortSignal | undefined,
): Promise<EngineState | null> {
  const status = statusOf((error as { cause?: unknown }).cause);
  if (status === undefined || status === 404) return null;
  const info = await session.inspect(id, signal).catch(() => undefined);
  if (info === null) throw new ContainerNotFoundError(id, { cause: error });
  return info?.State ?? null;
}

/** What to throw for an engine refusal of `action`: the state's conflict, else the refusal. */
export async function explainRefusal(
  session: EngineSession,
  id: string,
  action: ControlAction,
  error: unknown,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const state = await stateBehind(session, id, error, signal);
  return (state && stateConflict(id, action, state)) ?? error;
}

export async function signalContainer(
  session: EngineSession,
  id: string,
  sent: ContainerSignal,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  signal?.throwIfAborted();
  requireObjectId(id, 'container');
  // Docker (20.10) delivers a signal to a paused container by thawing it: a signal would undo
  // a pause behind its caller's back. So the state is read first, whatever the cache knows.
  // (A pause landing between this read and the kill is still thawed by the engine.)
  const info = await session.inspectOrThrow(id, signal);
  const refused = stateConflict(id, 'signal', info.State);
  if (refused) throw refused;
  try {
    // Sent to the engine's full id of what was checked, not the caller's name or id prefix.
    await session.call(
      { method: 'POST', path: session.path(info.Id, '/kill'), query: { signal: sent }, signal },
      { kind: 'container', op: 'other', id },
    );
  } catch (error) {
    throw await explainRefusal(session, id, 'signal', error, signal);
  }
}

export async function pauseContainer(
  session: EngineSession,
  id: string,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  await session.requireManaged(id, signal);
  try {
    await session.call(
      { method: 'POST', path: session.path(id, '/pause'), signal },
      { kind: 'container', op: 'other', id },
    );
  } catch (error) {
    const state = await stateBehind(session, id, error, signal);
    if (!state) throw error;
    // Already paused (or paused by a concurrent call): the contract makes it a no-op.
    if (state.Paused) return;
    throw stateConflict(id, 'pause', state) ?? error;
  }
}

export async function resumeContainer(
  session: EngineSession,
  id: string,
  ctx: PrimitiveContext,
): Promise<void> {
  const { signal } = ctx;
  await session.requireManaged(id, signal);
  try {
    await session.call(
      { method: 'POST', path: session.path(id, '/unpause'), signal },
      { kind: 'container', op: 'other', id },
    );
  } catch (error) {
    // The engine answers an unpause of a container that is not paused with a 500, which would
    // read as a retryable engine failure: the state says what it was.
    const state = await stateBehind(session, id, error, signal);
    if (!state) throw error;
    if (state.Status === 'running' && !state.Paused) return;
    throw stateConflict(id, 'resume', state) ?? error;
  }
}
