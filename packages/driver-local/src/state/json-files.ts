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
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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

/**
 * The first half of writeJsonAtomicSync: creates the temporary file ahead of time, so that
 * committing the record later is a write and a rename. Creating a file is the slow part (a new
 * inode), and a supervisor can do it while the program runs rather than after it ended.
 */
export function prepareJsonAtomicSync(path: string): { fd: number; temp: string } {
  const temp = tempName(path);
  return { fd: openSync(temp, 'w', 0o600), temp };
}

/** Writes the record into a prepared temporary file and renames it into place. */
export function commitJsonAtomicSync(
  prepared: { fd: number; temp: string },
  path: string,
  value: unknown,
): void {
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
export function discardJsonAtomicSync(prepared: { fd: number; temp: string }): void {
  try {
    closeSync(prepared.fd);
  } catch {
    // Already closed by a failed commit.
  }
  rmSync(prepared.temp, { force: true });
}

export function readJsonSync<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The parsed record, or undefined when there is none (a missing file is normal, not an error). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // Only a writer that bypassed writeJsonAtomic can leave this; treat it as absent.
    return undefined;
  }
}

/** Where everything lives under the state directory. */
export class StateLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  get containers(): string {
    return join(this.root, 'containers');
  }
  get volumes(): string {
    return join(this.root, 'volumes');
  }
  get networks(): string {
    return join(this.root, 'networks');
  }
  /** Removed containers' directories, renamed here to vanish at once and deleted afterwards. */
  get trash(): string {
    return join(this.root, 'trash');
  }
  /** Ready-made container directories (see spare-dirs.ts). */
  /** Claims on chosen container names, one file per name. */
  get names(): string {
    return join(this.root, 'names');
  }
  get spares(): string {
    return join(this.root, 'spares');
  }
  /** Warm sandboxes' container directories, by the driver that made them (warm-sandboxes.ts). */
  get warm(): string {
    return join(this.root, 'warm');
  }
  get supervisorLog(): string {
    return join(this.root, 'supervisor.log');
  }
  containerDir(id: string): string {
    return join(this.containers, id);
  }
  containerFile(id: string): string {
    return join(this.containerDir(id), 'container.json');
  }
  runFile(id: string): string {
    return join(this.containerDir(id), 'run.json');
  }
  exitFile(id: string): string {
    return join(this.containerDir(id), 'exit.json');
  }
  stopFile(id: string): string {
    return join(this.containerDir(id), 'stop.json');
  }
  healthFile(id: string): string {
    return join(this.containerDir(id), 'health.json');
  }
  logFile(id: string, stream: 'stdout' | 'stderr'): string {
    return join(this.containerDir(id), `${stream}.log`);
  }
  workDir(id: string): string {
    return join(this.containerDir(id), 'work');
  }
  volumeDir(name: string): string {
    return join(this.volumes, name);
  }
  volumeFile(name: string): string {
    return join(this.volumeDir(name), 'volume.json');
  }
  volumeData(name: string): string {
    return join(this.volumeDir(name), 'data');
  }
  networkFile(id: string): string {
    return join(this.networks, `${id}.json`);
  }

  async ensure(): Promise<void> {
    // 0711: other users (the container's own user among them) may pass through to their
    // working directory but cannot list or read anyone's state.
    for (const dir of [this.root, this.containers, this.volumes, this.networks, this.trash]) {
      await mkdir(dir, { recursive: true, mode: 0o711 });
    }
  }
}
