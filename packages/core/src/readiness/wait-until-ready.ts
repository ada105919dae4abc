import { hostAddress, publishedPort } from '../container-url.js';
import {
  ConfigurationError,
  ContainerNotReadyError,
  getErrorMessage,
  isAbortError,
  type NotReadyReason,
} from '../errors/index.js';
import type { ContainerDriver } from '../types.js';
import {
  describeCondition,
  expectsExit,
  type HttpCondition,
  type ReadyCondition,
} from './conditions.js';
import { type ProbeResult, probeHttp, probeTcp } from './probes.js';

export interface WaitUntilReadyOptions {
  /** Give up after this long; default 60 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Time between polls of a port, endpoint, command or health; default 100 ms. */
  pollMs?: number;
  /** Last log lines put in the error; default 20. */
  logLines?: number;
  /** How long a TCP connection must stay up to count (see probeTcp); default 100 ms. */
  portSettleMs?: number;
}

export interface ReadyResult {
  waitedMs: number;
}

/** Ends a wait for good: the container ended, went away, or a condition failed. */
class Final extends Error {
  constructor(
    readonly reason: NotReadyReason,
    readonly exitCode?: number,
  ) {
    super(reason);
  }
}

interface Run {
  driver: ContainerDriver;
  id: string;
  signal: AbortSignal;
  pollMs: number;
  settleMs: number;
  /** What each condition last saw, keyed by its description. */
  seen: Map<string, string>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Polls `probe` until it is ready; what it saw last is kept for the error. */
async function poll(run: Run, what: string, probe: () => Promise<ProbeResult>): Promise<void> {
  for (;;) {
    run.signal.throwIfAborted();
    const result = await probe();
    if (result.ready) {
      run.seen.delete(what);
      return;
    }
    run.seen.set(what, result.seen);
    await sleep(run.pollMs, run.signal);
  }
}

function statusAccepts(status: HttpCondition['status']): (code: number) => boolean {
  if (status === undefined) return (code) => code >= 200 && code < 300;
  if (typeof status === 'function') return status;
  const list = typeof status === 'number' ? [status] : status;
  return (code) => list.includes(code);
}

async function hostOf(run: Run, containerPort: number) {
  const instance = await run.driver.getContainer(run.id, { signal: run.signal });
  if (!instance) throw new Final('gone');
  return hostAddress(publishedPort(instance, containerPort));
}

async function waitLog(run: Run, c: ReadyCondition & { kind: 'log' }, what: string) {
  let matched = 0;
  const matches = (line: string) =>
    typeof c.pattern === 'string' ? line.includes(c.pattern) : c.pattern.test(line);
  const stream = run.driver.streamLogs(run.id, {
    follow: true,
    signal: run.signal,
    ...(c.stream ? { stdout: c.stream === 'stdout', stderr: c.stream === 'stderr' } : {}),
  });
  for await (const line of stream) {
    if (matches(line.line) && ++matched >= c.times) return;
    run.seen.set(what, `${matched} of ${c.times} matching lines`);
  }
  run.seen.set(what, `${matched} of ${c.times} matching lines when the log ended`);
  throw new Final('exited');
}

async function check(run: Run, c: ReadyCondition): Promise<void> {
  const what = describeCondition(c);
  switch (c.kind) {
    case 'log':
      return waitLog(run, c, what);
    case 'port': {
      const { host, port } = await hostOf(run, c.port);
      return poll(run, what, () => probeTcp(host, port, run.settleMs, run.signal));
    }
    case 'http': {
      const { url } = await hostOf(run, c.port);
      const accept = statusAccepts(c.status);
      const attemptMs = Math.max(1000, run.pollMs * 10);
      return poll(run, what, () =>
        probeHttp(`http://${url}${c.path}`, c.method, accept, c.body, attemptMs, run.signal),
      );
    }
    case 'command':
      return poll(run, what, async () => {
        // A failing exec (the container not running yet, or ending) is a probe not ready;
        // the end itself is the watcher's to report.
        const result = await run.driver
          .exec(run.id, c.command, { signal: run.signal })
          .catch((error: unknown) => {
            if (run.signal.aborted) throw error;
            return { exitCode: -1, stdout: '', stderr: getErrorMessage(error) };
          });
        if (result.exitCode === c.exitCode) return { ready: true };
        const said = (result.stderr || result.stdout).trim().split('\n').pop() ?? '';
        return { ready: false, seen: `exit ${result.exitCode}${said ? `: ${said}` : ''}` };
      });
    case 'healthy':
      return poll(run, what, async () => {
        const healthy = await run.driver
          .isContainerHealthy(run.id, { signal: run.signal })
          .catch((error: unknown) => {
            if (run.signal.aborted) throw error;
            return false;
          });
        if (healthy) return { ready: true };
        const health = (await run.driver.getContainer(run.id, { signal: run.signal }))?.health;
        return { ready: false, seen: `health ${health ?? 'unknown'}` };
      });
    case 'exit': {
      const result = await run.driver.waitContainer(run.id, { signal: run.signal });
      if (result.exitCode === c.exitCode) return;
      run.seen.set(what, `exit ${result.exitCode}${result.oomKilled ? ' (OOM-killed)' : ''}`);
      throw new Final('failed', result.exitCode);
    }
    case 'all':
      await Promise.all(c.of.map((sub) => check(run, sub)));
      return;
    case 'any':
      await anyOf(run, c.of);
      return;
  }
}

/** The first sub-condition met wins, and the others stop; all failing for good fails. */
async function anyOf(run: Run, of: ReadyCondition[]): Promise<void> {
  const local = new AbortController();
  const signal = AbortSignal.any([run.signal, local.signal]);
  try {
    await Promise.any(of.map((sub) => check({ ...run, signal }, sub)));
  } catch (error) {
    const errors = (error as AggregateError).errors ?? [error];
    throw errors.find((e) => !(e instanceof Final)) ?? errors[0];
  } finally {
    local.abort();
  }
}

/** Watches for the container ending or vanishing, which fails any wait but one for its exit. */
async function watchEnd(run: Run): Promise<never> {
  for (;;) {
    const instance = await run.driver.getContainer(run.id, { signal: run.signal });
    if (!instance) throw new Final('gone');
    if (instance.status === 'exited' || instance.status === 'dead') {
      throw new Final('exited', instance.exitCode);
    }
    await sleep(Math.max(run.pollMs, 100), run.signal);
  }
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`waitUntilReady: ${name} must be a number ≥ 0, got ${value}`);
  }
  return value;
}

/**
 * Waits until container `id` meets `condition` (see `waitFor`), on any driver. Fails fast with
 * ContainerNotReadyError, last log lines included, when the container ends or is removed first
 * (unless its end is what is waited for), when a one-shot run exits with another code, or at
 * the timeout; an abort of `signal` rejects with the signal's reason.
 */
export async function waitUntilReady(
  driver: ContainerDriver,
  id: string,
  condition: ReadyCondition,
  options: WaitUntilReadyOptions = {},
): Promise<ReadyResult> {
  if (typeof condition !== 'object' || condition === null || !('kind' in condition)) {
    throw new ConfigurationError('waitUntilReady: condition must come from waitFor.*');
  }
  const timeoutMs = positive(options.timeoutMs, 'timeoutMs', 60_000);
  const pollMs = positive(options.pollMs, 'pollMs', 100);
  const settleMs = positive(options.portSettleMs, 'portSettleMs', 100);
  const logLines = positive(options.logLines, 'logLines', 20);
  options.signal?.throwIfAborted();
  const started = Date.now();
  const stop = new AbortController();
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([
    stop.signal,
    timeout,
    ...(options.signal ? [options.signal] : []),
  ]);
  const run: Run = { driver, id, signal, pollMs, settleMs, seen: new Map() };
  try {
    const waits = [check(run, condition)];
    if (!expectsExit(condition)) waits.push(watchEnd(run));
    await Promise.race(waits);
    return { waitedMs: Date.now() - started };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof ConfigurationError) throw error;
    const final = error instanceof Final ? error : undefined;
    if (!final && !timeout.aborted && !isAbortError(error)) throw error;
    const reason: NotReadyReason = final?.reason ?? 'timeout';
    let exitCode = final?.exitCode;
    if (reason === 'exited' && exitCode === undefined) {
      exitCode = (await driver.getContainer(id).catch(() => null))?.exitCode;
    }
    const tail = await driver
      .getContainerLogs(id, { tail: logLines })
      .then((text) => text.split('\n').filter((l) => l !== ''))
      .catch(() => [] as string[]);
    throw new ContainerNotReadyError(
      id,
      describeCondition(condition),
      reason,
      [...run.seen].map(([what, seen]) => `${what}: ${seen}`),
      tail,
      Date.now() - started,
      exitCode,
      { cause: error },
    );
  } finally {
    stop.abort();
  }
}
