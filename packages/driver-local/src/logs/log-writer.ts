/*
 * The writing side of the log format, used by the supervisor's program: local imports name
 * .ts files, as unbuilt, Node runs the program from source and maps no .js to .ts.
 */
import { writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LogClock, MAX_LINE_LENGTH } from './log-format.ts';

/** One clock for every writer of the process, so that no two lines share a timestamp. */
const clock = new LogClock();

/** Splits a stream into timestamped records appended to one log file. */
export class LineWriter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private ended = false;
  private readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.pending += this.decoder.write(chunk);
    let out = '';
    let start = 0;
    for (;;) {
      const end = this.pending.indexOf('\n', start);
      if (end === -1) break;
      out += `${clock.next()} ${this.pending.slice(start, end)}\n`;
      start = end + 1;
    }
    this.pending = this.pending.slice(start);
    while (this.pending.length >= MAX_LINE_LENGTH) {
      out += `${clock.next()} ${this.pending.slice(0, MAX_LINE_LENGTH)}\n`;
      this.pending = this.pending.slice(MAX_LINE_LENGTH);
    }
    if (out) writeSync(this.fd, out);
  }

  /** Writes what is left of a last line without its newline, once the stream has ended. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending += this.decoder.end();
    if (this.pending) writeSync(this.fd, `${clock.next()} ${this.pending}\n`);
    this.pending = '';
  }
}
