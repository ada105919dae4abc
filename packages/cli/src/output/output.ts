import type { Style } from './style.js';

/** A stream the CLI writes to: process.stdout, or anything shaped like it (tests, embedding). */
export interface OutputStream {
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Everything a command prints goes through here: results on stdout, notes and progress on
 * stderr (so `berth ps -q | xargs berth rm` never gets a note in its input), JSON when asked.
 */
export class Output {
  constructor(
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
    /** Styles for each stream: colour is decided per stream, by whether it is a terminal. */
    readonly style: Style,
    readonly errStyle: Style,
    readonly json: boolean,
    /** Once aborted (Ctrl-C, a closed pipe), waits for a full stream end at once. */
    private readonly signal?: AbortSignal,
  ) {}

  /** A line of the result. */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** A note for the person at the terminal (not the result); never in JSON mode's stdout. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** The result as one JSON document. Dates become ISO strings (Date.prototype.toJSON). */
  document(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON value per line, for results that stream (log lines, run output). */
  record(value: unknown): Promise<void> {
    return this.write(this.stdout, `${JSON.stringify(value)}\n`);
  }

  /**
   * Writes and waits while the stream is full: a container's output is passed on at the pace
   * the reader takes it, never piled up in memory.
   */
  write(stream: OutputStream, chunk: string | Uint8Array): Promise<void> {
    if (stream.write(chunk) || this.signal?.aborted) return Promise.resolve();
    // A reader that went away never drains the stream: the abort (SIGPIPE) ends the wait.
    return new Promise((resolve) => {
      const done = () => {
        this.signal?.removeEventListener('abort', done);
        resolve();
      };
      stream.once('drain', done);
      this.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
