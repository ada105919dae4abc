/*
 * JSON records on disk. Imports nothing local: the supervisor's program loads this module too,
 * straight from source when the package is not built.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

/** Unique to this process (the pid alone may repeat across pid namespaces), drawn once. */
const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`;
let written = 0;

/** A fresh temporary name next to `path`: a counter, since drawing random bytes per write costs more. */
function tempName(path: string): string {
  return `${path}.${PROCESS_TAG}.${++written}.tmp`;
}

/*
 * Every record is written to a temporary file and renamed over the old one, so a reader (this
 * process, a re-attached driver, or the supervisor) sees either the old or the new record and
 * never half of one, even when the writer is killed mid-write. No fsync: this protects against
 * process crashes, not power loss, which keeps a lifecycle within a few milliseconds.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = tempName(path);
  try {
    await writeFile(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** writeJsonAtomic for the supervisor, whose few writes are faster without the thread pool. */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  const temp = tempName(path);
  try {
    writeFileSync(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** A temporary file made ahead of time, open for the record to be written into it. */
export interface PreparedRecord {
  fd: number;
  temp: string;
}

/**
 * The first half of writeJsonAtomicSync: creates the temporary file ahead of time, so that
 * committing the record later is a write and a rename. Creating a file is the slow part (a new
 * inode), and a supervisor can do it while the program runs rather than after it ended.
 */
export function prepareJsonAtomicSync(path: string): PreparedRecord {
  const temp = tempName(path);
  return { fd: openSync(temp, 'w', 0o600), temp };
}

/** Writes the record into a prepared temporary file and renames it into place. */
export function commitJsonAtomicSync(prepared: PreparedRecord, path: string, value: unknown): void {
  try {
    writeSync(prepared.fd, `${JSON.stringify(value)}\n`);
    closeSync(prepared.fd);
    renameSync(prepared.temp, path);
  } catch (error) {
    discardJsonAtomicSync(prepared);
    throw error;
  }
}

/**
 * writeJsonAtomicSync through `draft`, an empty file made ahead of time, when it is there: a
 * write and a rename instead of creating a file, which can take a millisecond.
 */
export function commitDraftSync(draft: string, path: string, value: unknown): void {
  let fd: number;
  try {
    fd = openSync(draft, 'r+');
  } catch {
    writeJsonAtomicSync(path, value);
    return;
  }
  commitJsonAtomicSync({ fd, temp: draft }, path, value);
}

/** Drops a prepared temporary file that will not be committed. */
export function discardJsonAtomicSync(prepared: PreparedRecord): void {
  try {
    closeSync(prepared.fd);
  } catch {
    // Already closed by a failed commit.
  }
  rmSync(prepared.temp, { force: true });
}

/**
 * A record read back from `path` and checked against its shape: undefined when there is none,
 * when it is not JSON (only a writer that bypassed the atomic writes above can leave that) or
 * when it is not the record `isRecord` describes. Synchronous: a record is a small file, read
 * several times per operation, and a round trip through the thread pool costs more than the
 * read itself.
 */
export function readRecordSync<T>(
  path: string,
  isRecord: (value: unknown) => value is T,
): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  return isRecord(value) ? value : undefined;
}

/**
 * readRecordSync through the thread pool, for records that are not on the hot path. A file
 * that cannot be read for any reason other than not being there is an error, not an absence.
 */
export async function readRecord<T>(
  path: string,
  isRecord: (value: unknown) => value is T,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isRecord(value) ? value : undefined;
}
