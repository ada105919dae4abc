import { PassThrough, type Writable } from 'node:stream';
import {
  CONTAINER_SIGNAL_NUMBERS,
  ConflictError,
  type ProcessInfo,
  ProcessNotFoundError,
} from '@berth/core';
import type { ParsedSpawnOptions, ProcessSource } from '@berth/core/kit';
import { requireExecutable } from '../containers/control.js';
import type { MockContainer, MockState } from '../engine/mock-state.js';
import { CommandNotFound, interpretCommand, type Step } from './program.js';

interface Exit {
  exitCode: number;
  signal?: string;
}

/** A process of the mock: its output goes to every attached reader from the moment it attached. */
class MockProcess {
  readonly sinks = { stdout: new Set<PassThrough>(), stderr: new Set<PassThrough>() };
  readonly stop = new AbortController();
  running = true;
  exitCode: number | undefined;
  readonly exit: Promise<Exit>;
  #resolve!: (exit: Exit) => void;

  constructor(
    readonly id: string,
    readonly containerId: string,
    readonly command: string[],
    readonly stdin: PassThrough | undefined,
  ) {
    this.exit = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Writes to every reader, waiting for the slowest: a reader that does not read holds it back. */
  async emit(stream: 'stdout' | 'stderr', data: string | Buffer): Promise<void> {
    await Promise.all(
      [...this.sinks[stream]].map(
        (sink) =>
          new Promise<void>((resolve) => {
            if (sink.write(data)) resolve();
            else sink.once('drain', resolve);
          }),
      ),
    );
  }

  end(exit: Exit): void {
    if (!this.running) return;
    this.running = false;
    this.exitCode = exit.exitCode;
    for (const set of [this.sinks.stdout, this.sinks.stderr]) for (const sink of set) sink.end();
    this.stdin?.destroy();
    this.#resolve(exit);
  }

  source(withStdin: boolean): ProcessSource {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    if (this.running) {
      this.sinks.stdout.add(stdout);
      this.sinks.stderr.add(stderr);
    } else {
      stdout.end();
      stderr.end();
    }
    return {
      id: this.id,
      containerId: this.containerId,
      stdout,
      stderr,
      ...(withStdin && this.stdin ? { stdin: this.stdin as Writable } : {}),
      exit: this.exit,
      kill: async (signal) => {
        if (!this.running) return;
        // SIGWINCH is ignored by default, like a real process would.
        if (signal === 'SIGWINCH') return;
        this.stop.abort();
        this.end({ exitCode: 128 + CONTAINER_SIGNAL_NUMBERS[signal], signal });
      },
    };
  }
}

/** Processes per container, kept while the container exists. */
const processes = new WeakMap<MockState, Map<string, MockProcess[]>>();

function registry(state: MockState, containerId: string): MockProcess[] {
  let byContainer = processes.get(state);
  if (!byContainer) {
    byContainer = new Map();
    processes.set(state, byContainer);
  }
  let list = byContainer.get(containerId);
  if (!list) {
    list = [];
    byContainer.set(containerId, list);
  }
  return list;
}

function running(state: MockState, id: string): MockContainer {
  const container = state.container(id, true);
  requireExecutable(container);
  if (container.instance.status !== 'running') {
    throw new ConflictError(state.settings.profile.notRunningMessage(container.instance.id));
  }
  return container;
}

async function play(state: MockState, process: MockProcess, steps: Step[]): Promise<void> {
  const { clock } = state.settings;
  try {
    for (const step of steps) {
      if (!process.running) return;
      if (step.kind === 'out') await process.emit(step.stream, `${step.text}\n`);
      else if (step.kind === 'sleep') await clock.sleep(step.ms, process.stop.signal);
      else if (step.kind === 'cat') {
        if (!process.stdin) continue;
        for await (const chunk of process.stdin) await process.emit('stdout', chunk as Buffer);
      } else {
        process.end({ exitCode: step.code });
        return;
      }
    }
    process.end({ exitCode: 0 });
  } catch {
    // Killed during a sleep: kill() has ended it already.
  }
}

/** Starts a process of the container's interpreted vocabulary, streaming as it goes. */
export function spawnInContainer(
  state: MockState,
  id: string,
  command: string[],
  options: ParsedSpawnOptions,
): ProcessSource {
  const container = running(state, id);
  const list = registry(state, container.instance.id);
  const process = new MockProcess(
    `proc-${list.length + 1}`,
    container.instance.id,
    [...command],
    options.stdin ? new PassThrough() : undefined,
  );
  list.push(process);
  const source = process.source(true);
  const declared = container.plan.program.exec?.[command.join(' ')];
  let steps: Step[];
  if (declared) {
    steps = [
      ...(declared.stdout ?? '')
        .split('\n')
        .filter(Boolean)
        .map((text) => ({ kind: 'out' as const, stream: 'stdout' as const, text })),
      ...(declared.stderr ?? '')
        .split('\n')
        .filter(Boolean)
        .map((text) => ({ kind: 'out' as const, stream: 'stderr' as const, text })),
      { kind: 'exit', code: declared.exitCode ?? 0 },
    ];
  } else {
    const env = { ...container.config.env, ...options.env };
    const cwd = options.cwd ?? container.config.workingDir ?? '/';
    try {
      steps = interpretCommand(command, env, cwd);
    } catch (error) {
      if (!(error instanceof CommandNotFound)) throw error;
      steps = [
        { kind: 'out', stream: 'stderr', text: error.message },
        { kind: 'exit', code: 127 },
      ];
    }
  }
  // Started after the caller has the streams, so no output comes before it can read it.
  setImmediate(() => void play(state, process, steps));
  return source;
}

export function listContainerProcesses(state: MockState, id: string): ProcessInfo[] {
  const container = state.container(id);
  return registry(state, container.instance.id).map((p) => ({
    id: p.id,
    containerId: p.containerId,
    command: [...p.command],
    running: p.running,
    ...(p.exitCode === undefined ? {} : { exitCode: p.exitCode }),
  }));
}

export function attachToProcess(state: MockState, id: string, processId: string): ProcessSource {
  const container = state.container(id);
  const found = registry(state, container.instance.id).find((p) => p.id === processId);
  if (!found) {
    throw new ProcessNotFoundError(container.instance.id, processId);
  }
  return found.source(false);
}

/** Ends every process of a container that stopped or went away. */
export function endProcesses(state: MockState, containerId: string): void {
  for (const p of processes.get(state)?.get(containerId) ?? []) {
    p.stop.abort();
    p.end({ exitCode: 137, signal: 'SIGKILL' });
  }
}
