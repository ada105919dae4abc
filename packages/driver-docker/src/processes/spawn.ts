import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerNotFoundError, DriverError } from '@berth/core';
import type { ParsedSpawnOptions, PrimitiveContext, ProcessSource } from '@berth/core/kit';
import { explainRefusal, stateConflict } from '../containers/control.js';
import type { EngineOperation } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';
import { type ExecInspect, inspectExec, SPAWN_MARK } from './engine-exec.js';
import { type ExecStreams, execStreams } from './exec-streams.js';
import { ExitWatch } from './exit-watch.js';
import { readHostProcess, signalHostProcess } from './host-process.js';
import { killProcess, noProcessView } from './kill.js';
import { oomBaseline } from './oom.js';

/*
 * A spawn is an exec started on a hijacked connection: `POST /containers/{id}/exec`, then
 * `POST /exec/{id}/start` upgraded to a raw stream that carries the output one way and stdin
 * the other. The handle is returned once the process has started (the engine knows its pid),
 * so its pid is known and its first bytes of output are the program's own.
 */

export async function spawn(
  session: EngineSession,
  id: string,
  argv: string[],
  options: ParsedSpawnOptions,
  ctx: PrimitiveContext,
): Promise<ProcessSource> {
  const { signal } = ctx;
  const info = await session.inspectOrThrow(id, signal);
  const refused = stateConflict(id, 'spawn', info.State);
  if (refused) throw refused;
  // A process that could not be killed (nor timed out) is not started at all.
  if (!readHostProcess(info.State.Pid, info.Id)) throw noProcessView(id);
  const oom = oomBaseline(info.State.Pid);
  const containerId = info.Id;
  const what: EngineOperation = { kind: 'container', op: 'other', id };
  const body: Record<string, unknown> = {
    Cmd: argv,
    AttachStdin: options.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    DetachKeys: SPAWN_MARK,
  };
  if (options.env) body.Env = Object.entries(options.env).map(([k, v]) => `${k}=${v}`);
  if (options.cwd) body.WorkingDir = options.cwd;
  if (options.user) body.User = options.user;
  const created = await session
    .call<{ Id: string }>(
      { method: 'POST', path: session.path(containerId, '/exec'), body, signal },
      what,
    )
    .catch(async (error: unknown) => {
      throw await explainRefusal(session, id, 'spawn', error, signal);
    });
  const execId = created.Id;
  const socket = await session
    .hijack(
      {
        method: 'POST',
        path: `/exec/${execId}/start`,
        body: { Detach: false, Tty: false },
        signal,
      },
      what,
    )
    .catch(async (error: unknown) => {
      throw await startFailure(session, id, execId, error);
    });
  session.processes.remember(containerId, execId);
  const streams = execStreams(socket, containerId, options.stdin);
  let started: ExecInspect;
  try {
    started = await waitForStart(session, execId, streams, signal);
  } catch (error) {
    socket.destroy();
    throw await startFailure(session, id, execId, error);
  }
  if (started.Pid === 0) return failedStart(execId, containerId, started, streams);

  const seen = started.Running
    ? (readHostProcess(started.Pid, containerId) ?? undefined)
    : undefined;
  const watch = new ExitWatch(session, execId, containerId, oom);
  void streams.closed.then(() => watch.poke());
  return {
    id: execId,
    containerId,
    ...(seen?.nsPid === undefined ? {} : { pid: seen.nsPid }),
    stdout: streams.stdout,
    stderr: streams.stderr,
    ...(streams.stdin ? { stdin: streams.stdin } : {}),
    exit: watch.exit,
    kill: (sent) => killProcess({ session, containerId, execId, seen, watch }, sent),
  };
}

/**
 * What to throw when waiting for the start failed: a process that did start is killed rather
 * than left running with nobody holding it; one that did not was refused by the container's
 * state (paused or stopped meanwhile), or by the engine for the reason it gave.
 */
async function startFailure(
  session: EngineSession,
  id: string,
  execId: string,
  error: unknown,
): Promise<unknown> {
  const exec = await inspectExec(session, execId, undefined).catch(() => undefined);
  const containerId = exec?.ContainerID ?? '';
  const seen = exec?.Running ? readHostProcess(exec.Pid, containerId) : null;
  if (seen) signalHostProcess(seen, containerId, 'SIGKILL');
  if (!seen) {
    const info = await session.inspect(id, undefined).catch(() => undefined);
    if (info === null) return new ContainerNotFoundError(id, { cause: error });
    const conflict = info && stateConflict(id, 'spawn', info.State);
    if (conflict) return conflict;
  }
  return error;
}

/**
 * The exec once it has started (a pid) or failed to (an exit code, pid 0). An engine that ends
 * the connection with neither did not start it: its message says why.
 */
async function waitForStart(
  session: EngineSession,
  execId: string,
  streams: ExecStreams,
  signal: AbortSignal | undefined,
): Promise<ExecInspect> {
  let delay = 5;
  let closedChecks = 0;
  for (;;) {
    const exec = await inspectExec(session, execId, signal);
    if (exec === null)
      throw new DriverError(`The exec ${execId} vanished before it started`, 'ENGINE_ERROR', true);
    if (exec.Pid > 0 || exec.ExitCode !== null) return exec;
    if (!streams.finished()) closedChecks = 0;
    else if (++closedChecks >= 3) {
      const message = (await engineMessage(streams)).trim();
      throw new DriverError(
        `The engine did not start the process${message ? `: ${message}` : ''}`,
        'ENGINE_ERROR',
        false,
      );
    }
    await sleep(delay, undefined, { signal });
    delay = Math.min(50, delay * 2);
  }
}

/** What the engine wrote on the connection of a process it could not start (on stdout). */
async function engineMessage(streams: ExecStreams): Promise<string> {
  // Unreferenced: a message that came at once must not hold the event loop for the rest.
  await Promise.race([streams.closed, sleep(2000, undefined, { ref: false })]);
  const parts: Buffer[] = [];
  for (const stream of [streams.stdout, streams.stderr]) {
    for (let chunk = stream.read(); chunk !== null; chunk = stream.read()) parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * A process the engine could not start (no such program, a missing working directory): the
 * engine's message goes to stderr, where a shell would put it, and a missing program exits
 * 127 as in a shell (Docker 20.10 reports 126 for it too).
 */
async function failedStart(
  execId: string,
  containerId: string,
  exec: ExecInspect,
  streams: ExecStreams,
): Promise<ProcessSource> {
  const message = await engineMessage(streams);
  const missing =
    /executable file not found/.test(message) ||
    (/no such file or directory/.test(message) && !/chdir/.test(message));
  const exitCode = missing ? 127 : (exec.ExitCode ?? 126);
  return {
    id: execId,
    containerId,
    stdout: Readable.from([], { objectMode: false }),
    stderr: Readable.from(message ? [Buffer.from(message)] : [], { objectMode: false }),
    exit: Promise.resolve({ exitCode }),
    kill: async () => undefined,
  };
}
