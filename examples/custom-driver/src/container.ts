import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  type ContainerConfig,
  type ContainerInstance,
  type ContainerStatus,
  type ExecResult,
  type HealthStatus,
  type LogLine,
  selectLogLines,
  TimeoutError,
  type UnsupportedFeature,
} from '@berth/core';
import { abortableSleep, type ParsedExecOptions, type ParsedLogOptions } from '@berth/core/kit';
import { type ProgramIO, runProgram } from './shell.ts';

/*
 * One container: its program running in this process (see shell.ts), its log, its health. The
 * driver (memory-driver.ts) only finds containers and translates; the behaviour is here.
 */

// Why a run was aborted, and the exit code that reports it: SIGTERM's 143 and SIGKILL's 137.
const STOP = { term: 143, kill: 137 } as const;
type StopReason = keyof typeof STOP;

/** One start of the program, until it ends. Aborted to stop it, and once it has ended. */
interface Run {
  controller: AbortController;
  ended: Promise<void>;
}

export class MemoryContainer {
  readonly id = randomBytes(16).toString('hex');
  readonly name: string;
  readonly config: ContainerConfig;
  readonly labels: Readonly<Record<string, string>>;
  readonly unenforced: readonly UnsupportedFeature[];
  readonly createdAt = new Date();
  status: ContainerStatus = 'created';
  health: HealthStatus | undefined;
  #startedAt: Date | undefined;
  #finishedAt: Date | undefined;
  #exitCode: number | undefined;
  #run: Run | undefined;
  readonly #log: LogLine[] = [];
  /** Output not yet ended by a newline, per stream. */
  readonly #partial = { stdout: '', stderr: '' };
  /** Resolved (and forgotten) on every new line and every end of a run: log followers wait here. */
  #waiters: (() => void)[] = [];

  constructor(
    config: ContainerConfig,
    labels: Readonly<Record<string, string>>,
    unenforced: readonly UnsupportedFeature[],
  ) {
    this.config = config;
    this.labels = labels;
    this.unenforced = unenforced;
    this.name = config.name ?? `memory-${this.id.slice(0, 12)}`;
  }

  /** What callers see: a copy, so nothing they do to it changes the container. */
  toInstance(driver: string): ContainerInstance {
    const date = (d: Date | undefined) => (d ? new Date(d) : undefined);
    return {
      id: this.id,
      name: this.name,
      sessionId: this.config.sessionId,
      ...(this.config.tenantId !== undefined && { tenantId: this.config.tenantId }),
      image: this.config.image,
      status: this.status,
      state: this.status === 'running' ? 'running' : 'terminated',
      // Nothing here listens on a port the host could reach.
      endpoint: null,
      ports: [],
      createdAt: new Date(this.createdAt),
      ...(this.#startedAt && { startedAt: date(this.#startedAt) }),
      ...(this.#finishedAt && { finishedAt: date(this.#finishedAt) }),
      ...(this.#exitCode !== undefined && { exitCode: this.#exitCode }),
      ...(this.health !== undefined && { health: this.health }),
      labels: { ...this.labels },
      resources: { ...this.config.resources },
      driver,
      ...(this.unenforced.length > 0 && { unenforced: [...this.unenforced] }),
    };
  }

  start(): void {
    if (this.status === 'running') return;
    const controller = new AbortController();
    this.status = 'running';
    this.#startedAt = new Date();
    this.#finishedAt = this.#exitCode = undefined;
    const argv = [...(this.config.entrypoint ?? []), ...(this.config.command ?? [])];
    const io = this.#io(controller.signal);
    const ended = runProgram(argv, io).then(
      (code) => this.#finish(code, 'exited'),
      (error: unknown) => {
        const reason = controller.signal.reason as StopReason | undefined;
        if (controller.signal.aborted && reason && reason in STOP) {
          return this.#finish(STOP[reason], 'stopped');
        }
        io.err(`${String(error)}\n`);
        this.#finish(1, 'exited');
      },
    );
    this.#run = { controller, ended };
    if (this.config.healthcheck) void this.#watchHealth(controller.signal);
  }

  /** Stops the program. Its only blocking builtin, sleep, ends at once, so there is no grace. */
  async stop(force: boolean): Promise<void> {
    const run = this.#run;
    if (!run || this.status !== 'running') return;
    run.controller.abort(force ? 'kill' : 'term');
    await run.ended;
  }

  /** The exit code of the run in progress once it ends, or of the last one. */
  async wait(signal: AbortSignal | undefined): Promise<number> {
    if (this.status === 'running' && this.#run) {
      await abortable(this.#run.ended, signal);
    }
    return this.#exitCode ?? 0;
  }

  async exec(
    argv: string[],
    options: ParsedExecOptions,
    signal: AbortSignal | undefined,
  ): Promise<ExecResult> {
    const run = this.#run;
    if (!run || this.status !== 'running') {
      throw new ConflictError(`Container ${this.id} is ${this.status}: exec needs it running`);
    }
    const timer = options.timeout === undefined ? undefined : AbortSignal.timeout(options.timeout);
    const stops = [run.controller.signal, signal, timer].filter((s) => s !== undefined);
    const result: ExecResult = { exitCode: 0, stdout: '', stderr: '' };
    const io: ProgramIO = {
      env: { ...this.config.env, ...options.env },
      cwd: options.cwd ?? this.config.workingDir ?? '/',
      signal: AbortSignal.any(stops),
      out: (text) => {
        result.stdout += text;
      },
      err: (text) => {
        result.stderr += text;
      },
    };
    try {
      result.exitCode = await runProgram(argv, io);
      return result;
    } catch (error) {
      // The caller's abort (or the kit's timeout) is the kit's to report.
      if (signal?.aborted) throw signal.reason;
      if (timer?.aborted) throw new TimeoutError('exec', options.timeout ?? 0);
      // The container stopped under it: killed with the container, as on a real engine.
      if (run.controller.signal.aborted) return { ...result, exitCode: STOP.kill };
      throw error;
    }
  }

  /**
   * The lines asked for; with `follow`, then every new one until the run in progress ends.
   * Between reading `#log.length` and waiting nothing awaits, so no line can slip past.
   */
  async *lines(
    options: ParsedLogOptions,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<LogLine> {
    const run = this.status === 'running' ? this.#run : undefined;
    let seen = this.#log.length;
    yield* selectLogLines(this.#log.slice(0, seen), options).map(copyLine);
    if (!options.follow) return;
    // Only `since` and the streams apply to new lines; `tail` chose among the old ones.
    const live = { ...options, tail: undefined };
    for (;;) {
      signal?.throwIfAborted();
      while (seen < this.#log.length) {
        yield* selectLogLines([this.#log[seen++] as LogLine], live).map(copyLine);
      }
      if (this.#run !== run || this.status !== 'running') return;
      await abortable(new Promise<void>((resolve) => this.#waiters.push(resolve)), signal);
    }
  }

  /** Ends any run at once; the driver forgets the container after this. */
  async remove(): Promise<void> {
    await this.stop(true);
    this.#wake();
  }

  #io(signal: AbortSignal): ProgramIO {
    return {
      env: this.config.env,
      cwd: this.config.workingDir ?? '/',
      signal,
      out: (text) => this.#write('stdout', text),
      err: (text) => this.#write('stderr', text),
    };
  }

  /** Output becomes log lines as each newline arrives, each with the time it was written. */
  #write(stream: 'stdout' | 'stderr', text: string): void {
    const parts = (this.#partial[stream] + text).split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.#log.push({ stream, line, timestamp: new Date() });
    if (parts.length > 0) this.#wake();
  }

  #finish(exitCode: number, status: 'exited' | 'stopped'): void {
    // A last line without its newline is still output.
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream] !== '') this.#write(stream, '\n');
    }
    this.status = status;
    this.#exitCode = exitCode;
    this.#finishedAt = new Date();
    // Health is about a running container; a stopped one is not healthy, whatever it was.
    if (this.health !== undefined) this.health = 'unhealthy';
    // Ends the health watch; the program itself is already done.
    this.#run?.controller.abort('term');
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Runs the healthcheck every interval while the run lasts, as a container engine would. */
  async #watchHealth(signal: AbortSignal): Promise<void> {
    const check = this.config.healthcheck;
    if (!check) return;
    this.health = 'starting';
    const started = Date.now();
    let failures = 0;
    while (!signal.aborted) {
      await abortableSleep(check.intervalMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      const probe = AbortSignal.any([signal, AbortSignal.timeout(check.timeoutMs)]);
      const quiet = { ...this.#io(probe), out: () => {}, err: () => {} };
      const code = await runProgram(check.command, quiet).catch(() => 1);
      if (signal.aborted) return;
      if (code === 0) {
        failures = 0;
        this.health = 'healthy';
      } else if (Date.now() - started >= check.startPeriodMs && ++failures >= check.retries) {
        this.health = 'unhealthy';
      }
    }
  }
}

function copyLine(line: LogLine): LogLine {
  return { ...line, timestamp: new Date(line.timestamp) };
}

/** `promise`, or the signal's reason once it aborts; leaves no listener on the signal. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
