import {
  ConflictError,
  ContainerNotFoundError,
  ContainerRemoveError,
  ContainerStartError,
  type ContainerStats,
  type RemoveOptions,
  type StopOptions,
  type WaitResult,
} from '@berth/core';
import type { MockContainer, MockState } from '../engine/mock-state.js';
import { forgetFiles } from '../files/container-files.js';
import { appendLog } from '../logs/container-logs.js';
import { endProcesses } from '../programs/spawn.js';
import { changed, notify } from './changes.js';
import { whileUnpaused } from './control.js';
import { probeHealth } from './health.js';

const MB = 1024 * 1024;

export function finish(
  state: MockState,
  container: MockContainer,
  exitCode: number,
  how: 'exited' | 'stopped' | 'oom',
): void {
  container.run?.abort();
  container.run = undefined;
  endProcesses(state, container.instance.id);
  const { instance } = container;
  instance.status = how === 'stopped' ? state.settings.profile.stoppedStatus : 'exited';
  instance.state = 'terminated';
  instance.exitCode = exitCode;
  instance.finishedAt = state.now();
  container.oomKilled = how === 'oom';
  if (instance.health) instance.health = 'unhealthy';
  notify(container);
}

/** Plays the container's plan on the clock until it exits or the run is aborted. */
async function execute(
  state: MockState,
  container: MockContainer,
  run: AbortController,
): Promise<void> {
  const { program } = container.plan;
  if (program.memoryMb !== undefined && program.memoryMb > container.config.resources.memory) {
    appendLog(state, container, 'stderr', 'Killed');
    finish(state, container, 137, 'oom');
    return;
  }
  for (const step of container.plan.steps) {
    if (run.signal.aborted) return;
    // A paused program does nothing; a step that fell due while paused happens on resume.
    try {
      await whileUnpaused(container, run.signal);
    } catch {
      return;
    }
    if (step.kind === 'out') appendLog(state, container, step.stream, step.text);
    else if (step.kind === 'cat')
      continue; // a container's stdin is always at its end
    else if (step.kind === 'sleep') {
      try {
        await state.settings.clock.sleep(step.ms, run.signal);
      } catch {
        return;
      }
    } else {
      finish(state, container, step.code, 'exited');
      return;
    }
  }
}

function launch(state: MockState, container: MockContainer): void {
  const { instance } = container;
  container.run?.abort();
  const run = new AbortController();
  container.run = run;
  instance.status = 'running';
  instance.state = 'running';
  instance.startedAt = state.now();
  instance.finishedAt = undefined;
  instance.exitCode = undefined;
  container.oomKilled = false;
  container.healthProbe = 0;
  container.failedProbes = 0;
  notify(container);
  void execute(state, container, run);
  if (container.config.healthcheck || container.plan.program.health) {
    instance.health = 'starting';
    void probeHealth(state, container, run);
  }
}

async function halt(
  state: MockState,
  container: MockContainer,
  options: StopOptions = {},
): Promise<void> {
  const { instance } = container;
  // A paused container is stopped too, as the engines do: thawed, then signalled.
  if (instance.status === 'paused') {
    instance.status = 'running';
    notify(container);
  }
  if (instance.status !== 'running') return;
  if (options.force) {
    finish(state, container, 137, 'stopped');
    return;
  }
  const { clock } = state.settings;
  const timeoutMs = (options.timeout ?? 10) * 1000;
  const graceMs = container.plan.program.stopGraceMs ?? 0;
  if (graceMs > timeoutMs) {
    // Both real drivers send SIGKILL once the timeout has passed.
    await clock.sleep(timeoutMs, options.signal);
    finish(state, container, 137, 'stopped');
    return;
  }
  if (graceMs > 0) await clock.sleep(graceMs, options.signal);
  if (instance.status === 'running') finish(state, container, 143, 'stopped');
}

export function startContainer(state: MockState, id: string): void {
  const container = state.container(id, true);
  if (container.instance.status === 'running') return;
  if (container.instance.status === 'paused') {
    throw new ConflictError(
      `Container ${container.instance.id} is paused: resume it (resumeContainer) instead of starting it`,
    );
  }
  if (container.plan.notFound !== undefined) {
    throw new ContainerStartError(
      container.instance.id,
      `exec: "${container.plan.notFound}": executable file not found in $PATH`,
      { retryable: false },
    );
  }
  launch(state, container);
}

export function stopContainer(state: MockState, id: string, options: StopOptions): Promise<void> {
  return halt(state, state.container(id, true), options);
}

export async function restartContainer(
  state: MockState,
  id: string,
  options: StopOptions,
): Promise<void> {
  const container = state.container(id, true);
  await halt(state, container, options);
  launch(state, container);
}

export function removeContainer(state: MockState, id: string, options: RemoveOptions): void {
  const container = state.container(id, true);
  if (container.instance.status === 'running' || container.instance.status === 'paused') {
    if (!options.force) {
      throw new ContainerRemoveError(
        container.instance.id,
        state.settings.profile.runningRemoveMessage(container.instance.id),
      );
    }
    finish(state, container, 137, 'stopped');
  }
  container.instance.status = 'removing';
  state.containers.delete(container.instance.id);
  forgetFiles(state, container.instance.id);
  notify(container);
}

export async function waitContainer(
  state: MockState,
  id: string,
  signal: AbortSignal | undefined,
): Promise<WaitResult> {
  const container = state.container(id);
  const live = ['running', 'paused', 'created'];
  while (live.includes(container.instance.status)) {
    await changed(container, signal);
    if (!state.containers.has(container.instance.id) && container.instance.exitCode === undefined) {
      throw new ContainerNotFoundError(id);
    }
  }
  return { exitCode: container.instance.exitCode ?? -1, oomKilled: container.oomKilled };
}

/** What the program declares it uses, within the container's limits. */
export function containerStats(state: MockState, id: string): ContainerStats {
  const { instance, plan } = state.container(id);
  const limitBytes = instance.resources.memory * MB;
  if (instance.status !== 'running' && instance.status !== 'paused') {
    return { cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: limitBytes, pids: 0 };
  }
  // Paused: its memory and processes are all still there, and it uses no CPU.
  const cpu = instance.status === 'paused' ? 0 : (plan.program.cpuPercent ?? 0);
  return {
    cpuPercent: Math.min(cpu, instance.resources.cpu * 100),
    memoryBytes: Math.min((plan.program.memoryMb ?? 4) * MB, limitBytes),
    memoryLimitBytes: limitBytes,
    pids: Math.min(plan.program.pids ?? 1, instance.resources.pids),
    ...(plan.program.diskMb === undefined ? {} : { diskBytes: plan.program.diskMb * MB }),
  };
}
