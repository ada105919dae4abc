import { spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getErrorMessage } from '../errors/index.js';
import { type KeeperDriver, LifetimeKeeper } from './lifetime-keeper.js';
import type { LifetimeStore } from './lifetime-store.js';

/*
 * A driver whose containers outlive the process that made them enforces their lifetimes from a
 * keeper process of its own: detached, one per state directory, started by whichever driver
 * instance first needs it, and gone once no container has a deadline left. The driver writes the
 * keeper's program (a few lines: build the driver from the options on stdin, call
 * runKeeperProcess); this module holds the rest.
 */

const LOCK = 'keeper.lock';
const LOG = 'keeper.log';
const MAX_LOG_BYTES = 1 << 20;

interface LockHolder {
  pid: number;
  start: string;
}

/** The kernel's start time of `pid`, so a reused pid is not taken for the keeper. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof value.pid === 'number' && typeof value.start === 'string'
      ? { pid: value.pid, start: value.start }
      : undefined;
  } catch {
    return undefined;
  }
}

function alive(holder: LockHolder | undefined): boolean {
  return holder !== undefined && startTime(holder.pid) === holder.start;
}

/** Whether a keeper runs for `dir` now. */
export function keeperRunning(dir: string): boolean {
  return alive(readHolder(join(dir, LOCK)));
}

function acquire(dir: string): boolean {
  const path = join(dir, LOCK);
  const me: LockHolder = { pid: process.pid, start: startTime(process.pid) ?? '' };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (alive(holder)) return false;
      // A dead keeper's lock. Two breaking it at once both win at worst: two keepers make the
      // same stop twice, which is harmless, where none would leave deadlines unenforced.
      rmSync(path, { force: true });
    }
  }
  return false;
}

function release(dir: string): void {
  const path = join(dir, LOCK);
  if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
}

/**
 * A driver's keeper program, `keeper-process.js`, for a module of the driver at `moduleUrl`
 * (its `import.meta.url`): built, the program is an entry next to the bundle; unbuilt (the
 * driver's own tests, from `src/<concern>/`), the build's copy is used, as Node cannot run a
 * source whose imports name .js files.
 */
export function keeperProgram(moduleUrl: string, packageName: string): string {
  for (const candidate of ['./keeper-process.js', '../../dist/keeper-process.js']) {
    const path = fileURLToPath(new URL(candidate, moduleUrl));
    if (existsSync(path)) return path;
  }
  throw new Error(`The keeper program (keeper-process.js) is missing from ${packageName}`);
}

export interface KeeperSpawn {
  /** The keeper's lock and log live here (the state directory of the driver). */
  dir: string;
  /** The driver's keeper program, run with this process's Node. */
  script: string;
  /** Handed to the program as JSON on stdin (never in argv, which any user can read). */
  input: unknown;
}

/** Keepers this process started lately, still starting up and so not yet holding the lock. */
const starting = new Map<string, { pid: number; at: number }>();
const STARTUP_GRACE_MS = 10_000;

/**
 * Makes sure a keeper runs for `spec.dir`, starting one when none does. Cheap when one runs:
 * two small reads. The keeper is detached and unreferenced: it never keeps this process alive,
 * and outlives it.
 */
export function ensureKeeperProcess(spec: KeeperSpawn): void {
  if (keeperRunning(spec.dir)) return;
  const recent = starting.get(spec.dir);
  if (recent && Date.now() - recent.at < STARTUP_GRACE_MS && startTime(recent.pid)) return;
  mkdirSync(spec.dir, { recursive: true, mode: 0o700 });
  const child = spawn(process.execPath, [spec.script], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(JSON.stringify(spec.input));
  child.unref();
  if (child.pid !== undefined) starting.set(spec.dir, { pid: child.pid, at: Date.now() });
}

/** The keeper program's input: the JSON its driver wrote on stdin. */
export async function readKeeperInput(): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export interface RunKeeperOptions {
  dir: string;
  store: LifetimeStore;
  /** Whether the driver's listProcesses tells of running processes (they count as use). */
  processes: boolean;
  /** How long with no deadline left before the keeper exits. Default 30 s. */
  idleExitMs?: number;
  close?(): Promise<void>;
}

/**
 * The keeper program's body: takes the lock (or returns at once when another keeper has it),
 * enforces deadlines, and returns once none has been left for `idleExitMs`. Before it lets go it
 * drops the lock and looks once more, so a container made just then is either seen by it or
 * finds no keeper and starts a new one.
 */
export async function runKeeperProcess(driver: KeeperDriver, options: RunKeeperOptions) {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  if (!acquire(options.dir)) return;
  const log = keeperLog(options.dir);
  const keeper = new LifetimeKeeper(driver, options.store, {
    processes: options.processes,
    onExpired: (event) => log({ expired: event }),
    onError: (error) => log({ error: getErrorMessage(error) }),
  });
  const unwatch = options.store.watch?.(() => keeper.wake());
  keeper.start();
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const idleExitMs = options.idleExitMs ?? 30_000;
  let idleSince: number | undefined;
  try {
    while (!stopping) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (keeper.armed > 0 || keeper.acting) {
        idleSince = undefined;
        continue;
      }
      idleSince ??= Date.now();
      if (Date.now() - idleSince < idleExitMs) continue;
      release(options.dir);
      await keeper.nextLook();
      if (keeper.armed === 0 || !acquire(options.dir)) break;
      idleSince = undefined;
    }
  } finally {
    unwatch?.();
    await keeper.stop();
    release(options.dir);
    await options.close?.().catch(() => undefined);
  }
}

function keeperLog(dir: string): (entry: Record<string, unknown>) => void {
  const path = join(dir, LOG);
  try {
    if (statSync(path).size > MAX_LOG_BYTES) truncateSync(path, 0);
  } catch {
    // No log yet.
  }
  return (entry) => {
    try {
      appendFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
    } catch {
      // A log that cannot be written must not stop the keeper.
    }
  };
}
