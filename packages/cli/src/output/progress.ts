import type { OutputStream } from './output.js';

/**
 * A progress line on stderr, rewritten in place (`removing containers 12/40`), for long work.
 * Only on a terminal: in a pipe or a log file a hundred rewrites would be a hundred lines, so
 * there it says nothing and the summary is all.
 */
export class Progress {
  #last = 0;
  #shown = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly enabled: boolean,
  ) {}

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    // At most ten redraws a second: a terminal that redraws faster only flickers.
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    this.#shown = true;
    this.stream.write(`\r\x1b[2K${text}`);
  }

  /** Clears the line, so the summary after it starts clean. */
  done(): void {
    if (this.#shown) this.stream.write('\r\x1b[2K');
    this.#shown = false;
  }
}
