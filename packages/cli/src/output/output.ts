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
    public style: Style,
    public errStyle: Style,
    /** Guessed from the raw arguments until they are parsed, then berth's own `--json`. */
    public json: boolean,
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

  /**
   * Something went wrong that does not fail the command (a container that could not be
   * removed after its run): a line on stderr, as JSON in JSON mode so that stderr stays
   * machine-readable there.
   */
  warn(message: string): void {
    if (this.json) this.note(JSON.stringify({ warning: message }));
    else this.note(`${this.errStyle.warn('berth: warning:')} ${message}`);
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
