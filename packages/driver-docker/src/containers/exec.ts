import { type ExecResult, TimeoutError } from '@berth/core';
import type { ParsedExecOptions, PrimitiveContext } from '@berth/core/kit';
import { type EngineOperation, mapEngineError } from '../engine/error-mapping.js';
import type { EngineSession } from '../engine/session.js';
import { collectStreams } from '../logs/demux.js';
import { killGivenUp } from '../processes/kill.js';
import { explainRefusal } from './control.js';

export async function exec(
  session: EngineSession,
  id: string,
  argv: string[],
  checked: ParsedExecOptions,
  ctx: PrimitiveContext,
): Promise<ExecResult> {
  const callerSignal = ctx.signal;
  const timeout = checked.timeout;
  const signal =
    timeout === undefined
      ? callerSignal
      : AbortSignal.any([...(callerSignal ? [callerSignal] : []), AbortSignal.timeout(timeout)]);
  await session.requireManaged(id, signal);
  const what: EngineOperation = { kind: 'container', op: 'other', id };
  let execId: string | undefined;
  try {
    const body: Record<string, unknown> = {
      Cmd: argv,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    };
    if (checked.env) body.Env = Object.entries(checked.env).map(([k, v]) => `${k}=${v}`);
    if (checked.cwd) body.WorkingDir = checked.cwd;
    if (checked.user) body.User = checked.user;
    const created = await session
      .call<{ Id: string }>({ method: 'POST', path: session.path(id, '/exec'), body, signal }, what)
      .catch(async (error: unknown) => {
        // A paused or stopped container: say which, and what to do about it.
        throw await explainRefusal(session, id, 'exec', error, signal);
      });
    execId = created.Id;
    const response = await session.stream(
      {
        method: 'POST',
        path: `/exec/${created.Id}/start`,
        body: { Detach: false, Tty: false },
        signal,
      },
      what,
    );
    const output = await collectStreams(response).catch((error: unknown) => {
      throw mapEngineError(error, what);
    });
    const inspected = await session.call<{ ExitCode: number | null }>(
      { method: 'GET', path: `/exec/${created.Id}/json`, signal },
      what,
    );
    return {
      exitCode: inspected.ExitCode ?? -1,
      stdout: output.stdout.toString('utf8'),
      stderr: output.stderr.toString('utf8'),
    };
  } catch (error) {
    // Given up on: what it runs is killed where the driver can (see processes/kill.ts). A kill
    // that fails leaves it running, as the engine would, and the error stays the timeout's.
    if (execId !== undefined && signal?.aborted) {
      await killGivenUp(session, execId).catch(() => undefined);
    }
    if (timeout !== undefined && !callerSignal?.aborted && signal?.aborted) {
      throw new TimeoutError('exec', timeout, { cause: error });
    }
    throw error;
  }
}
