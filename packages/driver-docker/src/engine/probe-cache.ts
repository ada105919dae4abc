import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineInfo } from './capabilities.js';

/*
 * The isolation probe makes and removes a network (~50–100 ms), which a one-shot script would
 * pay on every run. What it finds is a property of the engine's build and the host's kernel, so
 * a positive answer is kept on disk for that engine (its ID, version and kernel) for a day. A
 * negative one is never kept: it may have been a passing failure, and it costs nothing to ask
 * again on a host that will refuse internal networks anyway. A claim of isolation is read only
 * from a file (and directory) this user owns and nobody else can write.
 */

const FILE = 'engine-probe.json';
const MAX_AGE_MS = 24 * 3600 * 1000;

interface Entry {
  engine: string;
  isolated: true;
  at: number;
}

function engineKey(info: EngineInfo): string | undefined {
  if (!info.ID) return undefined;
  return JSON.stringify([info.ID, info.ServerVersion ?? null, info.KernelVersion ?? null]);
}

function trusted(path: string): boolean {
  try {
    const s = statSync(path);
    return s.uid === (process.getuid?.() ?? -1) && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

export function cachedIsolation(dir: string, info: EngineInfo): boolean {
  const key = engineKey(info);
  if (key === undefined || !trusted(dir) || !trusted(join(dir, FILE))) return false;
  try {
    const entry = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as Partial<Entry>;
    const age = Date.now() - (entry.at ?? 0);
    return entry.engine === key && entry.isolated === true && age >= 0 && age < MAX_AGE_MS;
  } catch {
    return false;
  }
}

export function rememberIsolation(dir: string, info: EngineInfo): void {
  const key = engineKey(info);
  if (key === undefined) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const entry: Entry = { engine: key, isolated: true, at: Date.now() };
    const temporary = join(dir, `${FILE}.${process.pid}.tmp`);
    writeFileSync(temporary, JSON.stringify(entry), { mode: 0o600 });
    renameSync(temporary, join(dir, FILE));
  } catch {
    // Not kept: the next process probes again.
  }
}
