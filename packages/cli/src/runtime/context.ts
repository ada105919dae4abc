import type { ContainerDriver } from '@berth/core';
import type { GlobalOptions, OptionValue } from '../args/spec.js';
import { chooseDriver, type DriverChoice, openDriver } from '../driver/open.js';
import type { Output } from '../output/output.js';

/** A stream the CLI reads: process.stdin, or anything shaped like it. */
export interface InputStream {
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: removes any of the listeners above.
  off(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isTTY?: boolean;
}

/** Everything a command gets: its parsed arguments, the output, the signal, the driver. */
export class CommandContext {
  #driver: Promise<ContainerDriver> | undefined;
  #choice: DriverChoice | undefined;

  constructor(
    readonly command: string,
    readonly globals: GlobalOptions,
    readonly values: Record<string, OptionValue>,
    readonly positionals: string[],
    readonly commandLine: string[],
    readonly out: Output,
    readonly env: Record<string, string | undefined>,
    readonly cwd: string,
    /** A getter: touching process.stdin opens it, and only `exec -i` and prompts read it. */
    readonly stdin: () => InputStream,
    /** Aborted on Ctrl-C, SIGTERM or a closed stdout, with an Interrupted as its reason. */
    readonly signal: AbortSignal,
  ) {}

  /** The driver, made on first use: commands that need none (version, help) never load one. */
  driver(): Promise<ContainerDriver> {
    this.#driver ??= (async () => {
      this.#choice = await chooseDriver(this.globals, this.env);
      return openDriver(this.#choice, this.globals, this.env, this.cwd);
    })();
    return this.#driver;
  }

  /** The chosen driver's name, once one was chosen. */
  get driverName(): string | undefined {
    return this.#choice?.name;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /**
   * Releases the driver (connections, timers, monitors). Containers keep running. Bounded:
   * a driver that hangs in close must not keep the shell waiting.
   */
  async close(): Promise<void> {
    if (!this.#driver) return;
    const driver = await this.#driver.catch(() => undefined);
    if (!driver) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      driver.close().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 3000);
        timer.unref?.();
      }),
    ]);
    clearTimeout(timer);
  }
}

/** A command's code: returns the exit code, throws what should be reported. */
export type CommandHandler = (ctx: CommandContext) => Promise<number>;
