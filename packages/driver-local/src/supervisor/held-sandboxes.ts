/*
 * In the supervisor's program: the warm sandboxes it holds (see warm/warm-sandboxes.ts for the
 * driver's side). Local imports name .ts files or are types only: unbuilt, Node runs the
 * program from source and maps no .js to .ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcStatSync, signalProcess } from '../host/process-identity.ts';
import { removeGroups } from './run-exit.ts';
import { report, send, supervisorStat } from './supervisor-channel.ts';
import type { WarmSpec } from './supervisor-protocol.ts';

/** A warm sandbox this supervisor made and holds until its container comes (or never does). */
export interface HeldSandbox {
  spec: WarmSpec;
  child: ChildProcess;
  ready: boolean;
  /** What the chain printed while setting up: only ever an error, kept for the report. */
  output: string;
  detach: () => void;
}

/** Warm sandboxes waiting for a container, by the container id each was made for. */
const held = new Map<string, HeldSandbox>();

/** Spawns the sandbox's chain around its stub; 'prepared' is sent once the stub says ready. */
export function prepare(spec: WarmSpec): void {
  const [file, ...args] = spec.argv;
  const child = spawn(file as string, args, {
    cwd: spec.cwd,
    // The stub gets nothing: the script exports the container's environment, all of it.
    env: {},
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const sandbox: HeldSandbox = { spec, child, ready: false, output: '', detach: () => undefined };
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
    if (held.get(spec.id) !== sandbox || child.exitCode !== null || child.signalCode !== null)
      return;
    sandbox.ready = true;
    child.stdout?.on('data', collect);
    const stat = readProcStatSync(child.pid as number);
    send({
      type: 'prepared',
      id: spec.id,
      process: {
        pid: child.pid as number,
        pidStartTime: stat?.startTime ?? 0,
        supervisorPid: process.pid,
        supervisorStartTime: supervisorStat()?.startTime ?? 0,
      },
    });
  };
  const ended = (code: number | null, signal: NodeJS.Signals | null) => {
    // A run sent for it before it died is already in this batch of events: let it take the
    // sandbox first (and record the end as that container's).
    setImmediate(() => {
      if (held.get(spec.id) !== sandbox) return;
      held.delete(spec.id);
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
  held.set(spec.id, sandbox);
}

/** Takes the warm sandbox made for this id, if it was ready (its stub may have died since). */
export function takeWarm(id: string): HeldSandbox | undefined {
  const sandbox = held.get(id);
  if (!sandbox?.ready) return undefined;
  held.delete(id);
  sandbox.detach();
  return sandbox;
}

/** Kills a held sandbox's chain and removes its cgroups; says 'warm-gone' either way. */
export async function discardWarm(id: string): Promise<void> {
  const sandbox = held.get(id);
  if (sandbox) {
    held.delete(id);
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

/** The ids of the sandboxes held now, by the container id each was made for. */
export function heldSandboxIds(): string[] {
  return [...held.keys()];
}
