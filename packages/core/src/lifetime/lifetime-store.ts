import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isObjectId } from '../object-ids.js';

/** What can change about a container's lifetime after it was made; the rest is in its labels. */
export interface LifetimeRecord {
  /** Epoch ms; null without a time to live. */
  expiresAt: number | null;
  idleTimeoutMs: number | null;
  onExpiry: 'stop' | 'remove';
}

/**
 * Where a driver keeps the mutable part of its containers' lifetimes, shared by every driver
 * instance and the keeper. Synchronous on purpose: records are tiny, and the kit reads one on
 * the way into an operation without another trip through the event loop.
 */
export interface LifetimeStore {
  put(id: string, record: LifetimeRecord): void;
  get(id: string): LifetimeRecord | undefined;
  /** Marks the container used at `at` (epoch ms). */
  touch(id: string, at: number): void;
  lastActivity(id: string): number | undefined;
  remove(id: string): void;
  /** Every container id with a record. */
  ids(): string[];
  /** Calls `onChange` soon after any record changes (also from another process, where it can). */
  watch?(onChange: () => void): () => void;
}

/** A store for one process: the mock's, and tests'. */
export class MemoryLifetimeStore implements LifetimeStore {
  readonly #records = new Map<string, LifetimeRecord>();
  readonly #seen = new Map<string, number>();
  readonly #watchers = new Set<() => void>();

  put(id: string, record: LifetimeRecord): void {
    this.#records.set(id, { ...record });
    this.#changed();
  }

  get(id: string): LifetimeRecord | undefined {
    const record = this.#records.get(id);
    return record && { ...record };
  }

  touch(id: string, at: number): void {
    if (this.#records.has(id)) this.#seen.set(id, at);
  }

  lastActivity(id: string): number | undefined {
    return this.#seen.get(id);
  }

  remove(id: string): void {
    this.#records.delete(id);
    this.#seen.delete(id);
  }

  ids(): string[] {
    return [...this.#records.keys()];
  }

  watch(onChange: () => void): () => void {
    this.#watchers.add(onChange);
    return () => this.#watchers.delete(onChange);
  }

  #changed(): void {
    for (const watcher of this.#watchers) watcher();
  }
}

/**
 * Records as files in one directory, for drivers whose containers outlive the process: `<id>.json`
 * holds the record (replaced atomically, so a reader never sees half of one) and the mtime of
 * `<id>.seen` is the last use, so marking use is one utimes call with nothing to read first and
 * no update to lose between two processes.
 */
export class FileLifetimeStore implements LifetimeStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  put(id: string, record: LifetimeRecord): void {
    const path = this.#path(id, 'json');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record), { mode: 0o600 });
    renameSync(temporary, path);
  }

  get(id: string): LifetimeRecord | undefined {
    if (!isObjectId(id)) return undefined;
    try {
      return parseRecord(readFileSync(this.#path(id, 'json'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  touch(id: string, at: number): void {
    const path = this.#path(id, 'seen');
    const time = new Date(at);
    try {
      utimesSync(path, time, time);
    } catch {
      try {
        closeSync(openSync(path, 'a', 0o600));
        utimesSync(path, time, time);
      } catch {
        // The directory is gone with the container: nothing left to mark.
      }
    }
  }

  lastActivity(id: string): number | undefined {
    if (!isObjectId(id)) return undefined;
    try {
      return statSync(this.#path(id, 'seen')).mtimeMs;
    } catch {
      return undefined;
    }
  }

  remove(id: string): void {
    if (!isObjectId(id)) return;
    rmSync(this.#path(id, 'json'), { force: true });
    rmSync(this.#path(id, 'seen'), { force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => name.slice(0, -'.json'.length))
        .filter(isObjectId);
    } catch {
      return [];
    }
  }

  watch(onChange: () => void): () => void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Only records matter: a touch changes an mtime, which moves no deadline earlier.
    const watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      if (name?.endsWith('.json')) onChange();
    });
    watcher.on('error', () => undefined);
    return () => watcher.close();
  }

  #path(id: string, kind: 'json' | 'seen'): string {
    // Ids come checked from the kit; checked again because they become file names.
    if (!isObjectId(id)) throw new Error(`not a container id: ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.${kind}`);
  }
}

function parseRecord(text: string): LifetimeRecord | undefined {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { expiresAt, idleTimeoutMs, onExpiry } = value as Record<string, unknown>;
  const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (onExpiry !== 'stop' && onExpiry !== 'remove') return undefined;
  return { expiresAt: time(expiresAt), idleTimeoutMs: time(idleTimeoutMs), onExpiry };
}
