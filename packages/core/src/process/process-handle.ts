import type { Readable, Writable } from 'node:stream';
import { ConfigurationError, ConflictError } from '../errors/index.js';
import type { ContainerSignal } from '../schemas.js';
import type { ContainerProcess, ProcessExit, ProcessOutput } from './process-types.js';

/** What a driver hands the kit for a process it started: plain Node streams and two calls. */
export interface ProcessSource {
  id: string;
  containerId: string;
  pid?: number;
  stdout: Readable;
  stderr: Readable;
  /** Present when spawned with `stdin: true`; ending it must reach the process as end-of-file. */
  stdin?: Writable;
  /** Settles when the process has ended. */
  exit: Promise<{ exitCode: number; signal?: string; oomKilled?: boolean }>;
  kill(signal: ContainerSignal): Promise<void>;
}

export interface HandleOptions {
  maxOutputBytes: number;
  /** Killed with SIGKILL after this long. */
  timeoutMs?: number;
  /** Aborting it kills the process. */
  signal?: AbortSignal;
}

type StreamName = 'stdout' | 'stderr';

/** Per-stream accounting: how much was delivered, and whether the budget cut it. */
class Budget {
  delivered = 0;
  truncated = false;
  constructor(private readonly max: number) {}

  /** The part of `chunk` still within budget (possibly empty). */
  take(chunk: Uint8Array): Uint8Array {
    const room = this.max - this.delivered;
    if (chunk.byteLength <= room) {
      this.delivered += chunk.byteLength;
      return chunk;
    }
    this.truncated = true;
    if (room <= 0) return chunk.subarray(0, 0);
    this.delivered = this.max;
    return chunk.subarray(0, room);
  }
}

const asBytes = (chunk: unknown): Uint8Array =>
  typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);

/**
 * The ContainerProcess around a driver's streams. Backpressure is the streams' own: nothing is
 * read ahead of a consumer beyond the streams' buffers, so memory stays bounded whatever the
 * process writes.
 */
export function createProcessHandle(
  source: ProcessSource,
  options: HandleOptions,
): ContainerProcess {
  const budgets = {
    stdout: new Budget(options.maxOutputBytes),
    stderr: new Budget(options.maxOutputBytes),
  };
  const streams = { stdout: source.stdout, stderr: source.stderr };
  const claimed = new Set<StreamName>();
  let ended = false;
  let timedOut = false;
  let stdinClosed = false;

  const claim = (name: StreamName, how: string) => {
    if (claimed.has(name)) {
      throw new ConfigurationError(
        `The process's ${name} is already being read (${how}): read stdout and stderr once each, or output() once`,
      );
    }
    claimed.add(name);
  };

  const exit = source.exit.finally(() => {
    ended = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  });
  // Callers may never await it; a rejection must not become an unhandled one.
  exit.catch(() => undefined);

  const kill = async (signal: ContainerSignal = 'SIGKILL') => {
    if (ended) return;
    await source.kill(signal).catch((error: unknown) => {
      if (!ended) throw error;
    });
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          void kill('SIGKILL').catch(() => undefined);
        }, options.timeoutMs);
  const onAbort = () => void kill('SIGKILL').catch(() => undefined);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  async function* one(name: StreamName): AsyncGenerator<Uint8Array> {
    for await (const chunk of streams[name]) {
      const part = budgets[name].take(asBytes(chunk));
      if (part.byteLength > 0) yield part;
    }
  }

  const iterable = (name: StreamName): AsyncIterable<Uint8Array> => ({
    [Symbol.asyncIterator]() {
      claim(name, name);
      return one(name);
    },
  });

  async function* merged(): AsyncGenerator<ProcessOutput> {
    const queue: ProcessOutput[] = [];
    let open = 2;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const names: StreamName[] = ['stdout', 'stderr'];
    const listeners = names.map((name) => {
      const stream = streams[name];
      const onData = (chunk: unknown) => {
        const data = budgets[name].take(asBytes(chunk));
        if (data.byteLength > 0) queue.push({ stream: name, data });
        // A consumer behind: hold both streams until it catches up.
        if (queue.length >= 16) for (const n of names) streams[n].pause();
        wake?.();
      };
      const onEnd = () => {
        open -= 1;
        wake?.();
      };
      const onError = (error: unknown) => {
        failure = error;
        wake?.();
      };
      stream.on('data', onData).once('end', onEnd).once('error', onError);
      return () => stream.off('data', onData).off('end', onEnd).off('error', onError);
    });
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          if (queue.length < 4) for (const n of names) streams[n].resume();
          yield next;
          continue;
        }
        if (failure) throw failure;
        if (open === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      for (const off of listeners) off();
      // Left early: what is still coming is dropped, so the process is not held back.
      for (const n of names) streams[n].resume();
    }
  }

  return {
    id: source.id,
    containerId: source.containerId,
    pid: source.pid,
    stdout: iterable('stdout'),
    stderr: iterable('stderr'),
    output(): AsyncIterable<ProcessOutput> {
      return {
        [Symbol.asyncIterator]() {
          claim('stdout', 'output()');
          claim('stderr', 'output()');
          return merged();
        },
      };
    },
    async write(data) {
      const stdin = source.stdin;
      if (!stdin) {
        throw new ConflictError(
          'The process was spawned without stdin: pass { stdin: true } to write to it',
        );
      }
      if (stdinClosed) throw new ConflictError("The process's stdin is closed");
      if (ended) throw new ConflictError('The process has ended; its stdin is gone');
      await new Promise<void>((resolve, reject) =>
        stdin.write(data, (error) => (error ? reject(error) : resolve())),
      );
    },
    async closeStdin() {
      const stdin = source.stdin;
      if (!stdin || stdinClosed) return;
      stdinClosed = true;
      await new Promise<void>((resolve) => {
        if (stdin.writableFinished || stdin.destroyed) return resolve();
        stdin.end(() => resolve());
        stdin.once('error', () => resolve());
      });
    },
    async wait(): Promise<ProcessExit> {
      // Output nobody reads is dropped, so a full pipe never holds the process back.
      for (const name of ['stdout', 'stderr'] as const) {
        if (!claimed.has(name)) {
          claimed.add(name);
          streams[name].resume();
        }
      }
      const result = await exit;
      return {
        exitCode: result.exitCode,
        ...(result.signal ? { signal: result.signal } : {}),
        oomKilled: result.oomKilled === true,
        timedOut,
        truncated: { stdout: budgets.stdout.truncated, stderr: budgets.stderr.truncated },
      };
    },
    kill,
  };
}
