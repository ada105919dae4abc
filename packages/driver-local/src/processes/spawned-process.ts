import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import type { ContainerSignal } from '@berth/core';
import type { ProcessSource } from '@berth/core/kit';
import {
  type InContainerLaunch,
  type InContainerRefusal,
  inContainerStdio,
} from '../containers/container-exec.js';
import { readProcStatSync } from '../host/process-identity.js';
import { type ContainerCgroup, oomCounter } from '../isolation/cgroups.js';
import type { SandboxTools } from '../isolation/sandbox-command.js';
import type { StateLayout } from '../state/state-layout.js';
import {
  pruneSpawnRecords,
  type SpawnExit,
  type SpawnRecord,
  writeSpawnRecord,
} from './process-records.js';
import { programOf, signalSpawned } from './process-signals.js';

/*
 * A process this driver spawned and owns: it holds the pipes, reaps the chain and records how
 * it ended, for itself and for any other driver on the stateDir.
 */

/** How long spawn waits for the program to appear under the chain, for its pid. */
const FIND_PROGRAM_MS = 2000;

export interface SpawnSetting {
  layout: StateLayout;
  tools: SandboxTools;
  /** The container's cgroup, whose OOM counter says whether a SIGKILL was the kernel's. */
  cgroup: ContainerCgroup | undefined;
  /** What the record starts as: who, where and what; the pids are filled in here. */
  base: Omit<SpawnRecord, 'id' | 'chain' | 'program' | 'exit' | 'shape'>;
}

/** The OOM kills the group has counted so far (0 where it counts none). */
function oomKills(group: ContainerCgroup | undefined): number {
  const counter = group && oomCounter(group);
  if (!counter) return 0;
  try {
    const line = readFileSync(counter.file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${counter.key} `));
    return Number(line?.split(/\s+/)[1] ?? 0);
  } catch {
    return 0;
  }
}

function exitOf(code: number | null, signal: NodeJS.Signals | null, oom: boolean): SpawnExit {
  const number = signal ? (constants.signals[signal] ?? 0) : 0;
  return {
    exitCode: code ?? 128 + number,
    ...(signal ? { signal } : {}),
    oomKilled: oom,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * A child's output as the kit gets it. Not the child's own stream: Node resumes that one when
 * the child exits, dropping what nobody has read yet, and a reader may well start after a quick
 * exit. A pipe holds the child back as its own stream would (it pauses when this one is full).
 */
function kept(stream: Readable): Readable {
  const out = new PassThrough();
  pipeline(stream, out, () => undefined);
  return out;
}

function ended(data?: string): Readable {
  const stream = new PassThrough();
  stream.end(data);
  return stream;
}

export class OwnedProcess {
  readonly exit: Promise<SpawnExit>;
  #record: SpawnRecord;
  // Records are written in order: the exit never lands before the record of the start.
  #writes: Promise<void> = Promise.resolve();
  #child: ChildProcess | undefined;

  private constructor(
    private readonly setting: SpawnSetting,
    record: SpawnRecord,
    exit: Promise<SpawnExit>,
  ) {
    this.#record = record;
    this.exit = exit;
  }

  get record(): SpawnRecord {
    return this.#record;
  }

  get running(): boolean {
    return this.#record.exit === undefined;
  }

  /** Spawns the prepared chain; resolves once the program's pid is known (or cannot be). */
  static async start(
    setting: SpawnSetting,
    launch: InContainerLaunch,
    stdin: boolean,
  ): Promise<{ owned: OwnedProcess; source: ProcessSource }> {
    const baseline = oomKills(setting.cgroup);
    const child = spawn(launch.file, launch.args, {
      env: launch.env,
      cwd: launch.cwd,
      stdio: inContainerStdio(stdin ? 'pipe' : 'ignore'),
      // Its own session: a terminal's signals to the driver's group are not the container's.
      detached: true,
    });
    // Everything up to the exit listener is taken over before anything is awaited: a quick
    // program may be gone by the next turn, its output with it.
    const stdout = kept(child.stdout as Readable);
    const stderr = kept(child.stderr as Readable);
    const pid = child.pid;
    if (pid === undefined) {
      throw await new Promise<Error>((resolve) => child.once('error', resolve));
    }
    // Reaped only once this process has seen its exit: the pid names it until then.
    const startTime = readProcStatSync(pid)?.startTime ?? 0;
    const record: SpawnRecord = {
      ...setting.base,
      shape: launch.shape,
      id: `${pid}-${startTime}`,
      chain: { pid, startTime },
    };
    let settle!: (exit: SpawnExit) => void;
    const exit = new Promise<SpawnExit>((resolve) => {
      settle = resolve;
    });
    const owned = new OwnedProcess(setting, record, exit);
    owned.#child = child;
    // Failures reach the kit through write callbacks and iteration, never as uncaught events.
    child.on('error', () => undefined);
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      stream?.on('error', () => undefined);
    }
    child.once('exit', (code, signal) => {
      const oom = (signal === 'SIGKILL' || code === 137) && oomKills(setting.cgroup) > baseline;
      owned.#record = { ...owned.#record, exit: exitOf(code, signal, oom) };
      owned.#child = undefined;
      owned
        .#persist()
        // One more ended: the oldest beyond what is kept go, before anyone sees it ended.
        .then(() => pruneSpawnRecords(setting.layout, record.containerId))
        .catch(() => undefined)
        .finally(() => settle(owned.#record.exit as SpawnExit));
    });
    const program = await programOf(record, setting.tools, FIND_PROGRAM_MS);
    if (program && owned.running) owned.#record = { ...owned.#record, program };
    await owned.#persist();
    const source: ProcessSource = {
      id: record.id,
      containerId: record.containerId,
      ...(program ? { pid: program.nsPid } : {}),
      stdout,
      stderr,
      ...(stdin && child.stdin ? { stdin: child.stdin } : {}),
      exit,
      kill: (signal) => owned.kill(signal),
    };
    return { owned, source };
  }

  /** A process that never started (no such program): ended at once, as exec reports it. */
  static async refused(
    setting: SpawnSetting,
    refusal: InContainerRefusal,
    id: string,
  ): Promise<ProcessSource> {
    const record: SpawnRecord = {
      ...setting.base,
      id,
      shape: 'direct',
      exit: { exitCode: refusal.exitCode, oomKilled: false, finishedAt: new Date().toISOString() },
    };
    await writeSpawnRecord(setting.layout, record);
    await pruneSpawnRecords(setting.layout, record.containerId);
    return {
      id,
      containerId: record.containerId,
      stdout: ended(),
      stderr: ended(refusal.stderr),
      exit: Promise.resolve({ exitCode: refusal.exitCode }),
      kill: async () => undefined,
    };
  }

  /** The handle another attach in this driver gets: its exit and kill, not its output. */
  attached(): ProcessSource {
    const { record } = this;
    return {
      id: record.id,
      containerId: record.containerId,
      ...(record.program ? { pid: record.program.nsPid } : {}),
      stdout: ended(),
      stderr: ended(),
      exit: this.exit,
      kill: (signal) => this.kill(signal),
    };
  }

  async kill(signal: ContainerSignal): Promise<void> {
    if (!this.running) return;
    await signalSpawned(this.#record, signal, this.setting.tools);
  }

  /** Lets the driver's process exit while this runs on (it is found again from its record). */
  release(): void {
    const child = this.#child;
    if (!child) return;
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as { unref?: () => void } | null)?.unref?.();
    }
  }

  #persist(): Promise<void> {
    const record = this.#record;
    const write = this.#writes.then(() =>
      // The container may be gone, and its directory with it: nothing left to record in.
      writeSpawnRecord(this.setting.layout, record).catch(() => undefined),
    );
    this.#writes = write;
    return write;
  }
}
