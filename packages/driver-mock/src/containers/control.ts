import { CONTAINER_SIGNAL_NUMBERS, ConflictError, type ContainerSignal } from '@berth/core';
import type { MockContainer, MockState } from '../engine/mock-state.js';
import { appendLog } from '../logs/container-logs.js';
import { changed, notify } from './changes.js';
import { finish } from './lifecycle.js';

function notRunning(container: MockContainer, what: string): ConflictError {
  const { id, status } = container.instance;
  return new ConflictError(`Cannot ${what} container ${id}: it is ${status}, not running`);
}

/** Resolves once the container is not paused (at once when it is not). */
export async function whileUnpaused(container: MockContainer, signal: AbortSignal): Promise<void> {
  while (container.instance.status === 'paused') await changed(container, signal);
}

export function pauseContainer(state: MockState, id: string): void {
  const container = state.container(id, true);
  if (container.instance.status === 'paused') return;
  if (container.instance.status !== 'running') throw notRunning(container, 'pause');
  container.instance.status = 'paused';
  notify(container);
}

export function resumeContainer(state: MockState, id: string): void {
  const container = state.container(id, true);
  const { status } = container.instance;
  if (status === 'running') return;
  if (status !== 'paused') {
    throw new ConflictError(`Cannot resume container ${container.instance.id}: it is ${status}`);
  }
  container.instance.status = 'running';
  notify(container);
}

/**
 * What a process does with a signal by default: SIGWINCH is ignored, every other one here ends
 * it with 128 + the signal's number, unless the program traps it (prints its lines instead).
 */
export function signalContainer(state: MockState, id: string, signal: ContainerSignal): void {
  const container = state.container(id, true);
  if (container.instance.status === 'paused') {
    throw new ConflictError(
      `Container ${container.instance.id} is paused: resume it (resumeContainer) before signalling it`,
    );
  }
  if (container.instance.status !== 'running') throw notRunning(container, 'signal');
  const trap = container.plan.program.traps?.[signal];
  if (trap) {
    for (const line of trap) appendLog(state, container, 'stdout', line);
    return;
  }
  if (signal === 'SIGWINCH') return;
  finish(state, container, 128 + CONTAINER_SIGNAL_NUMBERS[signal], 'exited');
}

/** Exec needs a running container; a paused one is refused with what to do about it. */
export function requireExecutable(container: MockContainer): void {
  if (container.instance.status === 'paused') {
    throw new ConflictError(
      `Container ${container.instance.id} is paused: resume it (resumeContainer) before exec`,
    );
  }
}
