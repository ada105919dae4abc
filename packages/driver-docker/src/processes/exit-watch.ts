import { CONTAINER_SIGNAL_NUMBERS, type ContainerSignal } from '@berth/core';
import type { EngineSession } from '../engine/session.js';
import { inspectExec } from './engine-exec.js';
import { type OomBaseline, readOomKills } from './oom.js';

/*
 * The Engine API tells an exec's end only when asked (`/exec/{id}/json`), so the end is polled
 * for: quickly after something that may have ended it (its output closing, a kill), then less
 * and less often. Its output closing is no sign of its end: a child it left behind may hold
 * its stdout open, and a process killed with its children alive still has its pipes open.
 */

export interface EngineExit {
  exitCode: number;
  signal?: string;
  oomKilled?: boolean;
}

const FIRST_MS = 20;
const MAX_MS = 1000;
/** Failed polls in a row (the engine away) before the wait gives up with the last error. */
const MAX_FAILURES = 30;

export class ExitWatch {
  readonly exit: Promise<EngineExit>;
  /** Signals sent through this handle: an exit of 128 + one of them is reported as that signal. */
  readonly sent = new Set<ContainerSignal>();
  #delay = FIRST_MS;
  #wake: (() => void) | undefined;

  constructor(
    private readonly session: EngineSession,
    private readonly execId: string,
    private readonly containerId: string,
    /** The container's OOM-kill counter (see oom.ts) and its count before the process. */
    private readonly oom: OomBaseline | undefined,
  ) {
    this.exit = this.#watch();
    // Rejections reach whoever waits; nobody waiting must not make them unhandled.
    this.exit.catch(() => undefined);
  }

  /** Something may have ended it: look now, and soon again. */
  poke(): void {
    this.#delay = FIRST_MS;
    this.#wake?.();
  }

  async #watch(): Promise<EngineExit> {
    let failures = 0;
    for (;;) {
      try {
        const exec = await inspectExec(this.session, this.execId, undefined);
        failures = 0;
        if (exec === null) {
          // Gone with its container: a stop or removal kills what runs in it with SIGKILL,
          // which is what the engine reports for an exec of a stopped container.
          this.session.processes.forget(this.containerId, this.execId);
          return { exitCode: 137, signal: 'SIGKILL' };
        }
        if (!exec.Running && exec.ExitCode !== null) return this.#exitOf(exec.ExitCode);
      } catch (error) {
        failures += 1;
        if (failures >= MAX_FAILURES) throw error;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      this.#delay = Math.min(MAX_MS, this.#delay * 2);
    }
  }

  #exitOf(exitCode: number): EngineExit {
    for (const signal of this.sent) {
      if (exitCode === 128 + CONTAINER_SIGNAL_NUMBERS[signal]) return { exitCode, signal };
    }
    const after = this.oom && readOomKills(this.oom.counter);
    if (exitCode === 137 && this.oom && after !== undefined && after > this.oom.before) {
      return { exitCode, signal: 'SIGKILL', oomKilled: true };
    }
    return { exitCode };
  }
}
