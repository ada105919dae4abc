/*
 * The supervisor: a small process, detached from the driver, that runs container processes (a
 * few at once). It timestamps their output lines into the log files and records their exit
 * status, so both survive the death of the driver process that started them. It is reused for
 * later containers while its driver is connected (starting Node costs ~30 ms and ~40 MB; a
 * lifecycle should not), and exits once it runs nothing and its driver is gone.
 *
 * Imports use .ts suffixes and only modules without further local imports: this file also
 * runs straight from source (Node strips the types) when the package has not been built.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  childrenOf,
  processGroupMembers,
  readProcStatSync,
  signalProcess,
} from '../host/process-identity.ts';
import { inheritableDescriptors } from '../isolation/inherited-fds.ts';
import { openMountSources } from '../isolation/mount-handles.ts';
import { LogClock, MAX_LINE_LENGTH } from '../logs/log-format.ts';
import {
  commitDraftSync,
  commitJsonAtomicSync,
  discardJsonAtomicSync,
  prepareJsonAtomicSync,
  readJsonSync,
  writeJsonAtomicSync,
} from '../state/json-files.ts';
import type {
  DriverMessage,
  ExitRecord,
  RunRecord,
  RunSpec,
  StopRecord,
  SupervisorMessage,
  WarmSpec,
} from './supervisor-protocol.ts';

const clock = new LogClock();
let disconnected = false;
let shutdownRequested = false;

function send(message: SupervisorMessage): void {
  if (disconnected || !process.send) return;
  try {
    process.send(message);
  } catch {
    // The driver went away between the check and the send; the records on disk still tell.
  }
}

function report(error: unknown): void {
  process.stderr.write(
    `[${new Date().toISOString()} supervisor ${process.pid}] ${String(error)}\n`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Splits a stream into timestamped records appended to one log file. */
class LineWriter {
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

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending += this.decoder.end();
    if (this.pending) writeSync(this.fd, `${clock.next()} ${this.pending}\n`);
    this.pending = '';
  }
}

async function survivors(spec: RunSpec, pgid: number): Promise<number[]> {
  // Every process of a container with a cgroup is in it (joined before anything ran): the
  // process group adds nothing then, and finding its members means reading all of /proc.
  const members = new Set(spec.cgroup?.membersFile ? [] : await processGroupMembers(pgid));
  if (spec.cgroup?.membersFile) {
    try {
      for (const line of readFileSync(spec.cgroup.membersFile, 'utf8').split('\n')) {
        const pid = Number(line);
        // A zombie is already dead; it stays listed only until its parent reaps it.
        if (line.trim() && readProcStatSync(pid)?.state !== 'Z') members.add(pid);
      }
    } catch {
      // Group already gone.
    }
  }
  members.delete(process.pid);
  return [...members];
}

function oomCount(spec: RunSpec): number {
  const oom = spec.cgroup?.oom;
  if (!oom) return 0;
  try {
    for (const line of readFileSync(oom.file, 'utf8').split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key === oom.key) return Number(value);
    }
  } catch {
    // No counter: no OOM we can know of.
  }
  return 0;
}

async function removeGroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        // Off the main thread: one slow removal must not hold up the other containers.
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY') {
          report(`cannot remove cgroup ${dir}: ${String(error)}`);
          break;
        }
        // The kernel releases the last members a moment after they are reaped.
        await sleep(5);
      }
    }
  }
}

function closed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.stdout?.closed !== false && child.stderr?.closed !== false) resolve();
    else child.once('close', () => resolve());
  });
}

async function finish(
  spec: RunSpec,
  child: ChildProcess,
  writers: LineWriter[],
  fds: number[],
  oomBaseline: number,
  code: number | null,
  signal: NodeJS.Signals | null,
  recorded: boolean,
  exitFile?: ReturnType<typeof prepareJsonAtomicSync>,
): Promise<void> {
  const pgid = child.pid as number;
  const stop = readJsonSync<StopRecord>(spec.stopFile);
  if (stop && stop.run === spec.run) {
    // A stop is under way: the main process may be bubblewrap's monitor, which dies at once,
    // while the real program is still shutting down cleanly. Give it until the deadline.
    while (Date.now() < stop.killAt && (await survivors(spec, pgid)).length > 0) await sleep(25);
  }
  // Whatever is left once the main process ended dies with it, as in a container whose init
  // exited: no orphan keeps running, or holds the log pipes open.
  // In a sandbox, one round does it: bubblewrap's init outlives the program while anything
  // else in the pid namespace runs, and killing it makes the kernel kill the rest, including
  // whatever is forked meanwhile. Without one, a fork can race the kill: repeat until none is
  // left. Either way the log pipes closing (below) is what says the output is complete.
  for (let round = 0; round < (spec.sandboxed ? 1 : 200); round++) {
    const left = await survivors(spec, pgid);
    if (left.length === 0) break;
    for (const pid of left) signalProcess(pid, 'SIGKILL');
    if (!spec.sandboxed) await sleep(5);
  }
  await Promise.race([closed(child), sleep(2000)]);
  for (const writer of writers) writer.end();
  for (const fd of fds) closeSync(fd);
  const oomKilled = oomCount(spec) > oomBaseline;
  const exit: ExitRecord = {
    run: spec.run,
    exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
    signal,
    oomKilled,
    finishedAt: new Date().toISOString(),
  };
  // A run that never got its run record never started as far as anyone knows: an exit record
  // would only be mistaken for the next start's, which takes the same number.
  if (recorded && exitFile) commitJsonAtomicSync(exitFile, spec.exitFile, exit);
  else if (recorded) writeJsonAtomicSync(spec.exitFile, exit);
  else if (exitFile) discardJsonAtomicSync(exitFile);
  send({ type: 'exited', id: spec.id, exit });
  // After the report, as nothing waits for it: the kernel may take a while to let a cpu group
  // go, and the next run has a group of its own (runCgroupName).
  await removeGroups(spec.cgroup?.dirs ?? []);
}

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * Waits until bubblewrap's child has exec'd the next program of the chain: its executable is
 * no longer the monitor's. Gives up when the monitor ends or after ten seconds.
 */
async function sandboxReady(monitor: number): Promise<void> {
  const begun = Date.now();
  const deadline = begun + 10_000;
  while (Date.now() < deadline) {
    const monitorExe = exeOf(monitor);
    if (monitorExe === undefined) return;
    // Under a pid namespace of its own, bubblewrap's init (the same executable) sits between
    // the monitor and the program.
    for (const child of await childrenOf(monitor)) {
      const exe = exeOf(child);
      if (exe !== undefined && exe !== monitorExe) return;
      if (exe === monitorExe) {
        for (const grandchild of await childrenOf(child)) {
          const inner = exeOf(grandchild);
          if (inner !== undefined && inner !== monitorExe) return;
        }
      }
    }
    // Usually ready within ten milliseconds: poll closely at first, then back off so that many
    // starts at once stay cheap.
    await sleep(Date.now() - begun < 30 ? 1 : 5);
  }
}

/** Opens the run's stdout and stderr logs for appending; all or none. */
function openLogs(spec: RunSpec): number[] {
  const fds: number[] = [];
  try {
    for (const log of [spec.stdoutLog, spec.stderrLog]) fds.push(openSync(log, 'a', 0o600));
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  return fds;
}

/** Timestamps the child's output, line by line, into the log files. */
function writeLogs(child: ChildProcess, fds: number[]): LineWriter[] {
  const writers = fds.map((fd) => new LineWriter(fd));
  child.stdout?.on('data', (chunk: Buffer) => writers[0]?.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => writers[1]?.push(chunk));
  return writers;
}

/** This supervisor's own /proc stat (its start time goes into every run record). */
let self: ReturnType<typeof readProcStatSync>;

/** Runs one container process; resolves once it has ended and its exit is recorded. */
function run(spec: RunSpec): Promise<void> {
  return new Promise<void>((complete) => {
    let recorded = false;
    let exitFile: ReturnType<typeof prepareJsonAtomicSync> | undefined;
    const oomBaseline = oomCount(spec);
    const [file, ...args] = spec.argv;
    let spawnedResolve: (ok: boolean) => void = () => undefined;
    const spawned = new Promise<boolean>((resolve) => {
      spawnedResolve = resolve;
    });
    let mountFds: number[];
    try {
      mountFds = openMountSources(spec.mountSources ?? []);
    } catch (error) {
      const failure = error as Error & { code?: string };
      send({
        type: 'failed',
        id: spec.id,
        runNumber: spec.run,
        message: failure.message,
        ...(failure.code ? { code: failure.code } : {}),
      });
      complete();
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(file as string, args, {
        cwd: spec.cwd,
        env: spec.env,
        // Its own process group, so stop can signal the whole tree and nothing else.
        detached: true,
        // The mount handles become descriptors 3, 4, ... of the chain, as its argv says.
        stdio: ['ignore', 'pipe', 'pipe', ...mountFds],
      });
    } finally {
      // The child has its copies (or none, if it failed to spawn).
      for (const fd of mountFds) closeSync(fd);
    }
    // The log files are opened once the program is on its way (it runs on another core while
    // they are created): its output is read only after this returns, so none of it is missed.
    let fds: number[];
    try {
      fds = openLogs(spec);
    } catch (error) {
      // Without its logs it must not run: nothing is recorded for it, nothing reported started.
      if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
      child.removeAllListeners();
      child.once('error', () => undefined);
      throw error;
    }
    const writers = writeLogs(child, fds);
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnedResolve(false);
      if (child.pid !== undefined) return report(error);
      for (const fd of fds) closeSync(fd);
      send({
        type: 'failed',
        id: spec.id,
        runNumber: spec.run,
        message: error.message,
        ...(error.code ? { code: error.code } : {}),
      });
      complete();
    });
    const onSpawned = async () => {
      try {
        const pid = child.pid as number;
        // Report the start only once the program itself runs: until then a stop would find
        // nothing but bubblewrap setting up, and an exec would join half-made namespaces.
        if (spec.sandboxed) await sandboxReady(pid);
        const stat = readProcStatSync(pid);
        self ??= readProcStatSync(process.pid);
        const record: RunRecord = {
          run: spec.run,
          pid,
          pidStartTime: stat?.startTime ?? 0,
          supervisorPid: process.pid,
          supervisorStartTime: self?.startTime ?? 0,
          startedAt: new Date().toISOString(),
          sandboxed: spec.sandboxed,
          meta: spec.meta,
        };
        commitDraftSync(spec.runDraft, spec.runFile, record);
        recorded = true;
        send({ type: 'started', id: spec.id, run: record });
        // The exit record's file is made while the program runs, off the path from its end to
        // the record: at the end it only takes a write and a rename.
        try {
          exitFile = prepareJsonAtomicSync(spec.exitFile);
        } catch {
          // Written the usual way at the end instead.
        }
      } catch (error) {
        // Without its run record nobody could find or stop it: it must not keep running.
        report(error);
        signalProcess(-(child.pid as number), 'SIGKILL');
        send({ type: 'failed', id: spec.id, runNumber: spec.run, message: String(error) });
      } finally {
        spawnedResolve(true);
      }
    };
    child.once('spawn', onSpawned);
    child.once('exit', (code, signal) => {
      void spawned
        .then(() =>
          finish(spec, child, writers, fds, oomBaseline, code, signal, recorded, exitFile),
        )
        .catch(report)
        .finally(complete);
    });
  });
}

/**
 * Runs a container in the warm sandbox made for it. The driver wrote its run record before it
 * sent the run (it knew the sandbox's process from 'prepared'), so what is left is to hand the
 * stub its script and record the end, as run does. A sandbox that is gone, or whose stub died
 * before it got the script, still gets the end recorded: the driver's record says it started.
 */
function adopt(spec: RunSpec, sandbox: WarmSandbox | undefined): Promise<void> {
  return new Promise<void>((complete) => {
    if (!sandbox) {
      const exit: ExitRecord = {
        run: spec.run,
        exitCode: 255,
        signal: null,
        oomKilled: false,
        finishedAt: new Date().toISOString(),
        lost: true,
      };
      try {
        writeJsonAtomicSync(spec.exitFile, exit);
      } catch (error) {
        report(error);
      }
      send({ type: 'exited', id: spec.id, exit });
      complete();
      return;
    }
    const { child } = sandbox;
    const oomBaseline = oomCount(spec);
    const alive = child.exitCode === null && child.signalCode === null;
    // The program first: the files below are opened while it starts on another core. Its
    // output waits in the pipe until the listeners below, attached before this returns.
    if (alive) child.stdin?.end(spec.warmScript);
    let fds: number[] = [];
    try {
      fds = openLogs(spec);
    } catch (error) {
      // Without its logs it must not run; its end is still recorded below.
      report(error);
      if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
    }
    const writers = writeLogs(child, fds);
    let exitFile: ReturnType<typeof prepareJsonAtomicSync> | undefined;
    try {
      exitFile = prepareJsonAtomicSync(spec.exitFile);
    } catch {
      // Written the usual way at the end instead.
    }
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      finish(spec, child, writers, fds, oomBaseline, code, signal, true, exitFile)
        .catch(report)
        .finally(complete);
    };
    if (alive) child.once('exit', end);
    else end(child.exitCode, child.signalCode);
  });
}

interface WarmSandbox {
  spec: WarmSpec;
  child: ChildProcess;
  ready: boolean;
  /** What the chain printed while setting up: only ever an error, kept for the report. */
  output: string;
  detach: () => void;
}

/** Warm sandboxes waiting for a container, by the container id each was made for. */
const warm = new Map<string, WarmSandbox>();

function prepare(spec: WarmSpec): void {
  const [file, ...args] = spec.argv;
  const child = spawn(file as string, args, {
    cwd: spec.cwd,
    // The stub gets nothing: the script exports the container's environment, all of it.
    env: {},
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const sandbox: WarmSandbox = { spec, child, ready: false, output: '', detach: () => undefined };
  // The stub's first words on stdout are the ready line, said once the whole chain is set up:
  // anything else is an error from some part of the chain, kept for the report.
  let said = '';
  const collect = (chunk: Buffer) => {
    if (sandbox.output.length < 4096) sandbox.output += chunk.toString();
  };
  const listen = (chunk: Buffer) => {
    said += chunk.toString();
    if (said.length < spec.readyLine.length && spec.readyLine.startsWith(said)) return;
    child.stdout?.off('data', listen);
    if (said !== spec.readyLine) return collect(Buffer.from(said));
    if (warm.get(spec.id) !== sandbox || child.exitCode !== null || child.signalCode !== null)
      return;
    sandbox.ready = true;
    child.stdout?.on('data', collect);
    const stat = readProcStatSync(child.pid as number);
    self ??= readProcStatSync(process.pid);
    send({
      type: 'prepared',
      id: spec.id,
      process: {
        pid: child.pid as number,
        pidStartTime: stat?.startTime ?? 0,
        supervisorPid: process.pid,
        supervisorStartTime: self?.startTime ?? 0,
      },
    });
  };
  const ended = (code: number | null, signal: NodeJS.Signals | null) => {
    // A run sent for it before it died is already in this batch of events: let it take the
    // sandbox first (and record the end as that container's).
    setImmediate(() => {
      if (warm.get(spec.id) !== sandbox) return;
      warm.delete(spec.id);
      sandbox.detach();
      const detail =
        `its chain ended (${signal ?? `exit ${code}`}) ${sandbox.output.trim()}`.trim();
      report(`warm sandbox ${spec.id}: ${detail}`);
      send({ type: 'warm-gone', id: spec.id, discarded: false, detail });
    });
  };
  const failed = (error: Error) => {
    if (child.pid === undefined) ended(null, null);
    else report(error);
  };
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('data', listen);
  child.stderr?.on('data', collect);
  child.once('exit', ended);
  child.once('error', failed);
  sandbox.detach = () => {
    child.stdout?.off('data', listen);
    child.stdout?.off('data', collect);
    child.stderr?.off('data', collect);
    child.off('exit', ended);
    child.off('error', failed);
  };
  warm.set(spec.id, sandbox);
}

/** Takes the warm sandbox made for this id, if it was ready (its stub may have died since). */
function takeWarm(id: string): WarmSandbox | undefined {
  const sandbox = warm.get(id);
  if (!sandbox?.ready) return undefined;
  warm.delete(id);
  sandbox.detach();
  return sandbox;
}

async function discardWarm(id: string): Promise<void> {
  const sandbox = warm.get(id);
  if (sandbox) {
    warm.delete(id);
    sandbox.detach();
    const { child } = sandbox;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
      await exited;
    }
    // Anything of the chain that left the process group is still in the cgroup.
    for (const dir of sandbox.spec.cgroupDirs) {
      try {
        for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
          if (line.trim()) signalProcess(Number(line), 'SIGKILL');
        }
      } catch {
        // No such group (any more).
      }
    }
    await removeGroups(sandbox.spec.cgroupDirs);
  }
  send({ type: 'warm-gone', id, discarded: true });
}

/** Containers this supervisor runs now; it serves several at once. */
let active = 0;
let exiting: Promise<void> | undefined;

function exitIfDone(): void {
  if (active > 0 || !(disconnected || shutdownRequested)) return;
  // Warm sandboxes go with their supervisor: nobody would ever give them a container.
  exiting ??= Promise.all([...warm.keys()].map(discardWarm))
    .then(() => undefined, report)
    .finally(() => process.exit(0));
}

// Whatever started this supervisor may have left descriptors open for its children (its own
// descriptors are close-on-exec): none of them may reach a container.
{
  const channel = (process.channel as { fd?: number } | undefined)?.fd;
  for (const fd of inheritableDescriptors()) {
    if (fd === channel) continue;
    try {
      closeSync(fd);
    } catch {
      // Gone already.
    }
  }
}

process.on('message', (message: DriverMessage) => {
  if (message.type === 'prepare') {
    if (exiting) send({ type: 'warm-gone', id: message.warm.id, discarded: true });
    else prepare(message.warm);
  } else if (message.type === 'discard') {
    void discardWarm(message.id).catch(report);
  } else if (message.type === 'run') {
    const { spec } = message;
    active++;
    let started: Promise<void>;
    try {
      started = spec.warmScript === undefined ? run(spec) : adopt(spec, takeWarm(spec.id));
    } catch (error) {
      started = Promise.reject(error);
    }
    started
      .catch((error: unknown) => {
        report(error);
        send({
          type: 'failed',
          id: message.spec.id,
          runNumber: message.spec.run,
          message: String(error),
        });
      })
      .finally(() => {
        active--;
        exitIfDone();
      });
  } else if (message.type === 'shutdown') {
    shutdownRequested = true;
    exitIfDone();
  }
});

// One container's failure (a write to a full disk, a vanished file) must not take the others
// down with their exit records: report it and keep supervising.
process.on('uncaughtException', report);
process.on('unhandledRejection', report);

process.on('disconnect', () => {
  disconnected = true;
  exitIfDone();
});
