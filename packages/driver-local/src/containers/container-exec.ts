import { openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type ExecResult, TimeoutError } from '@berth/core';
import type { execa as Execa } from 'execa';
import type { HostFingerprint } from '../host/host-fingerprint.js';
import { signalProcess } from '../host/process-identity.js';
import { cgroupProcsFiles } from '../isolation/cgroups.js';
import { shadowingStdio } from '../isolation/inherited-fds.js';
import {
  buildSandboxCommand,
  type ChainShape,
  chainShape,
  spawnEnvironment,
} from '../isolation/sandbox-command.js';
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

/** What putting one process into a running container needs of the driver. */
export interface InContainerContext {
  host: HostFingerprint;
  stateDir: string;
  /** The container's own work directory on the host. */
  workDir: string;
}

export interface ExecContext extends InContainerContext {
  execa: typeof Execa;
  /** Keeps the driver's process alive while the exec runs. */
  hold: () => () => void;
}

/** A process ready to be spawned into a container: the chain, and how it reaches the program. */
export interface InContainerLaunch {
  file: string;
  args: string[];
  /** Empty where a chain runs first: its last step sets the environment (see buildSandboxCommand). */
  env: Record<string, string>;
  cwd: string;
  shape: ChainShape;
}

/** Why a process was not started at all, told as a shell would (127, 126). */
export interface InContainerRefusal {
  exitCode: number;
  stderr: string;
}

export type PreparedProcess =
  | { launch: InContainerLaunch; refused?: undefined }
  | { refused: InContainerRefusal; launch?: undefined };

let nullDescriptor: number | undefined;
/** /dev/null, opened once (close-on-exec, like everything Node opens). */
function devNull(): number {
  nullDescriptor ??= openSync('/dev/null', 'r');
  return nullDescriptor;
}

/**
 * The stdio of a process put into a container. Descriptors this process inherited (a host
 * application's sockets, say) are not the container's: each is replaced by /dev/null in the
 * child, as Node cannot close them there.
 */
export function inContainerStdio(stdin: 'ignore' | 'pipe'): ('ignore' | 'pipe' | number)[] {
  return shadowingStdio<'ignore' | 'pipe'>([stdin, 'pipe', 'pipe'], devNull());
}

/**
 * How a command is put into a running container (exec, spawn and health checks alike): in its
 * cgroup, as its user, with its environment and, where it is sandboxed, inside its very
 * namespaces. Or why it cannot run at all: a program or working directory that is not there.
 */
export async function prepareInContainer(
  snapshot: ContainerSnapshot,
  command: string[],
  options: Pick<InContainerOptions, 'env' | 'cwd' | 'user'>,
  context: InContainerContext,
): Promise<PreparedProcess> {
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
    return { refused: { exitCode: 127, stderr: `executable '${command[0]}' was not found\n` } };
  }
  if (!plan.filesystem) {
    try {
      if (!(await stat(spawnCwd)).isDirectory()) throw new Error('not a directory');
    } catch {
      return { refused: { exitCode: 126, stderr: `working directory '${spawnCwd}' is missing\n` } };
    }
  }
  const [file, ...args] = buildSandboxCommand(plan, host.tools);
  return {
    launch: {
      file: file as string,
      args,
      env: spawnEnvironment(plan, host.tools),
      cwd: spawnCwd,
      shape: chainShape(plan, host.tools),
    },
  };
}

/** Runs a command inside a running container to its end (exec and health checks). */
export async function runInContainer(
  snapshot: ContainerSnapshot,
  command: string[],
  options: InContainerOptions,
  context: ExecContext,
): Promise<ExecResult> {
  const prepared = await prepareInContainer(snapshot, command, options, context);
  if (prepared.refused) return { ...prepared.refused, stdout: '' };
  const { file, args, env, cwd } = prepared.launch;
  const release = context.hold();
  const child = context.execa(file, args, {
    env,
    extendEnv: false,
    cwd,
    reject: false,
    // execa hands entries past stderr to child_process as they are; its types only list three.
    stdio: inContainerStdio('ignore') as unknown as ['ignore', 'pipe', 'pipe'],
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
