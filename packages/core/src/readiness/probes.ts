import { connect } from 'node:net';

/** One probe's answer: ready, or what was seen instead (for the error if it never is). */
export type ProbeResult = { ready: true } | { ready: false; seen: string };

/**
 * A TCP connect to host:port that stays open for `settleMs`. Engines that publish through a
 * userland proxy (Docker's docker-proxy) accept the connection themselves and close it at once
 * when nothing listens inside; only a connection that stays up means the container listens.
 */
export function probeTcp(
  host: string,
  port: number,
  settleMs: number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done({ ready: false, seen: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    socket.once('connect', () => {
      timer = setTimeout(() => done({ ready: true }), settleMs);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ready: false, seen: `connect to ${host}:${port}: ${error.code ?? error.message}` }),
    );
    // A close (or data then close) within the settle time: the proxy had nothing behind it.
    socket.once('close', () =>
      done({ ready: false, seen: `${host}:${port} accepted then closed the connection` }),
    );
  });
}

/** One HTTP request; `accept` decides on the status and body. */
export async function probeHttp(
  url: string,
  method: 'GET' | 'HEAD',
  accept: (status: number) => boolean,
  body: ((text: string) => boolean) | undefined,
  attemptMs: number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const attempt = AbortSignal.any([signal, AbortSignal.timeout(attemptMs)]);
  try {
    const response = await fetch(url, { method, signal: attempt, redirect: 'manual' });
    const text = method === 'HEAD' ? '' : await response.text();
    if (!accept(response.status)) return { ready: false, seen: `${url}: HTTP ${response.status}` };
    if (body && !body(text)) {
      return { ready: false, seen: `${url}: HTTP ${response.status}, body not accepted` };
    }
    return { ready: true };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ready: false, seen: `${url}: ${cause ?? (error as Error).name}` };
  }
}
