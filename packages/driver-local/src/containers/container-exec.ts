import { openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type ExecResult, TimeoutError } from '@berth/core';
import type { execa as Execa } from 'execa';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import { signalProcess } from '../host/process-identity.js';
import { cgroupProcsFiles } from '../isolation/cgroups.js';
import { shadowingStdio } from '../isolation/inherited-fds.js';
import { buildSandboxCommand, spawnEnvironment } from '../isolation/sandbox-command.js';
import type { ResolvedUser } from '../isolation/user-spec.js';
import { planProcess, programExists } from './container-plan.js';
import type { ContainerSnapshot } from './container-snapshot.js';
import { sandboxInit } from './sandbox-processes.js';

export interface InContainerOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Resolved and checked by the caller (never root). */
  user?: ResolvedUser;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecContext {
  host: HostFingerprint;
  stateDir: string;
  /** The container's own work directory on the host. */
  workDir: string;
  execa: typeof Execa;
  /** Keeps the driver's process alive while the exec runs. */
  hold: () => () => void;
}

let nullDescriptor: number | undefined;
/** /dev/null, opened once (close-on-exec, like everything Node opens). */
function devNull(): number {
  nullDescriptor ??= openSync('/dev/null', 'r');
  return nullDescriptor;
}

/**
 * Runs a command inside a running container (exec and health checks): in its cgroup, as its
 * user, with its environment and, where it is sandboxed, inside its very namespaces.
 */
export async function runInContainer(
  snapshot: ContainerSnapshot,
  command: string[],
  options: InContainerOptions,
  context: ExecContext,
): Promise<ExecResult> {
  const { host } = context;
  const { record } = snapshot;
  const group = snapshot.run?.meta.cgroup;
  const { user } = options;
  const run = snapshot.run;
  const inner =
    run?.sandboxed && host.tools.nsenter
      ? await sandboxInit(run.pid, run.pidStartTime, host.tools.bwrap)
      : undefined;
  const { plan, spawnCwd, env } = planProcess(
    record,
    {
      host,
      stateDir: context.stateDir,
      workDir: context.workDir,
    },
    {
      command,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(user ? { user } : {}),
      ...(inner !== undefined ? { joinNamespacesOf: inner } : {}),
      cgroupProcs: group ? cgroupProcsFiles(group) : [],
    },
  );
  const lookup = {
    mounts: record.mounts,
    ...(plan.filesystem ? { sandbox: { view: host.tools.view, workDir: context.workDir } } : {}),
  };
  if (!(await programExists(command[0] as string, env, plan.cwd, lookup))) {
    return { exitCode: 127, stdout: '', stderr: `executable '${command[0]}' was not found\n` };
  }
  if (!plan.filesystem) {
    try {
      if (!(await stat(spawnCwd)).isDirectory()) throw new Error('not a directory');
    } catch {
      return {
        exitCode: 126,
        stdout: '',
        stderr: `working directory '${spawnCwd}' is missing\n`,
      };
    }
  }
  const [file, ...args] = buildSandboxCommand(plan, host.tools);
  const release = context.hold();
  const child = context.execa(file as string, args, {
    // Empty where a chain runs first: its last step sets the environment (see buildSandboxCommand).
    env: spawnEnvironment(plan, host.tools),
    extendEnv: false,
    cwd: spawnCwd,
    reject: false,
    // Descriptors this process inherited (a host application's sockets, say) are not the
    // container's: each is replaced by /dev/null in the child, as Node cannot close them there.
    // execa hands entries past stderr to child_process as they are; its types only list three.
    stdio: shadowingStdio(['ignore', 'pipe', 'pipe'], devNull()) as unknown as [
      'ignore',
      'pipe',
      'pipe',
    ],
    stripFinalNewline: false,
    // Its own process group, so a timeout or abort kills everything it started.
    detached: true,
    maxBuffer: 64 * 1024 * 1024,
  });
  let timedOut = false;
  let aborted = false;
  const killGroup = () => {
    if (child.pid !== undefined) signalProcess(-child.pid, 'SIGKILL');
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killGroup();
        }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    killGroup();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await child;
    if (timedOut) throw new TimeoutError('exec', options.timeoutMs as number);
    if (aborted) options.signal?.throwIfAborted();
    return {
      exitCode: result.exitCode ?? 128 + 9,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    release();
  }
}
