import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Names inside a container directory that a spare already holds. */
export const SPARE_CONTENTS = {
  workDir: 'work',
  logs: ['stdout.log', 'stderr.log'],
  /** An empty file the first container.json is written into and renamed from. */
  recordDraft: 'container.json.draft',
  /** The same for the first run.json. */
  runDraft: 'run.json.draft',
} as const;

/** Makes `dir` (which must not exist) holding SPARE_CONTENTS, all empty. */
export function makeContainerSkeleton(dir: string): void {
  mkdirSync(dir, { mode: 0o711 });
  mkdirSync(join(dir, SPARE_CONTENTS.workDir), { mode: 0o700 });
  for (const file of [
    ...SPARE_CONTENTS.logs,
    SPARE_CONTENTS.recordDraft,
    SPARE_CONTENTS.runDraft,
  ]) {
    closeSync(openSync(join(dir, file), 'w', 0o600));
  }
}

const READY = 'ready-';
const MAKING = 'making-';

/**
 * Ready-made, empty container directories. Creating files and directories is most of what a
 * short lifecycle costs (a new inode each), while a rename is nearly free: so the directory,
 * its work directory, its log files and a draft of its record are made ahead of time, off the
 * hot path, and createContainer renames one into place. A spare is made under a `making-` name
 * and renamed `ready-` only once complete, so a process killed halfway leaves nothing a later
 * driver would take for a spare; those half-made ones are handed to `discard`.
 */
export class SpareDirectories {
  readonly #root: string;
  readonly #target: number;
  readonly #discard: (path: string) => void;
  #ready: string[] | undefined;
  #refill: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(root: string, options: { target: number; discard: (path: string) => void }) {
    this.#root = root;
    this.#target = options.target;
    this.#discard = options.discard;
  }

  /** Moves a spare to `dir` (which must not exist); false when none is ready. */
  takeInto(dir: string): boolean {
    const ready = this.#list();
    for (let path = ready.pop(); path !== undefined; path = ready.pop()) {
      try {
        renameSync(path, dir);
        this.#scheduleRefill();
        return true;
      } catch {
        // Taken by another driver on the same state directory, or gone: try the next one.
      }
    }
    this.#scheduleRefill();
    return false;
  }

  /** Stops making spares; the ones made stay for the next driver. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#refill);
    this.#refill = undefined;
  }

  #list(): string[] {
    if (!this.#ready) {
      this.#ready = [];
      try {
        mkdirSync(this.#root, { recursive: true, mode: 0o711 });
        for (const name of readdirSync(this.#root)) {
          const path = join(this.#root, name);
          if (name.startsWith(READY)) this.#ready.push(path);
          else this.#discard(path);
        }
      } catch {
        // No spares to be had: every create makes its directory itself.
      }
    }
    return this.#ready;
  }

  #scheduleRefill(): void {
    if (this.#closed || this.#refill) return;
    // Later, not now: the caller is in the middle of a lifecycle. Unref'd: spares are a
    // convenience, never a reason to keep a process alive.
    this.#refill = setTimeout(() => this.#fill(), 20);
    this.#refill.unref();
  }

  #fill(): void {
    this.#refill = undefined;
    const ready = this.#list();
    while (!this.#closed && ready.length < this.#target) {
      const token = randomUUID();
      const making = join(this.#root, `${MAKING}${token}`);
      try {
        makeContainerSkeleton(making);
        const path = join(this.#root, `${READY}${token}`);
        renameSync(making, path);
        ready.push(path);
      } catch {
        rmSync(making, { recursive: true, force: true });
        return;
      }
    }
  }
}
