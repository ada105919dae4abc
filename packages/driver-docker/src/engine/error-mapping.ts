import {
  AuthenticationError,
  AuthorizationError,
  ConflictError,
  ContainerCreationError,
  ContainerNotFoundError,
  ContainerRemoveError,
  ContainerStartError,
  ContainerStopError,
  DriverError,
  getErrorMessage,
  isAbortError,
  isDriverError,
  isTransportError,
  NetworkCreationError,
  NetworkError,
  NetworkNotFoundError,
  NetworkRemoveError,
  ResourceLimitError,
  UnsupportedFeatureError,
  VolumeCreationError,
  VolumeNotFoundError,
  VolumeRemoveError,
} from '@berth/core';
import type { EngineHttpError } from './client.js';

/** What was being done, so an engine status can become the right contract error. */
export type EngineOperation =
  | { kind: 'container'; op: 'create'; name?: string | undefined; cpu?: number }
  | { kind: 'container'; op: 'start' | 'stop' | 'remove' | 'other'; id: string }
  | { kind: 'volume'; op: 'create' | 'remove' | 'other'; id: string }
  | { kind: 'network'; op: 'create' | 'remove' | 'other'; id: string }
  | { kind: 'engine' };

/** The engine's own message (`{"message": "..."}`), without docker-modem's prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as EngineHttpError | null)?.json;
  if (typeof json === 'object' && json !== null) {
    const message = (json as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return getErrorMessage(error);
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as EngineHttpError | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns anything the engine or the transport threw into a contract error. Aborts pass through
 * untouched: cancelling is the caller's decision, not a failure to classify.
 */
export function mapEngineError(error: unknown, what: EngineOperation): unknown {
  if (isAbortError(error) || isDriverError(error)) return error;
  const status = statusOf(error);
  const message = engineMessage(error);
  const cause = { cause: error };

  if (status === undefined) {
    // Node's system error code (EACCES, ENOENT): not a Berth code, so not getErrorCode's.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'EACCES' || code === 'EPERM') {
      return new AuthorizationError(`Not allowed to talk to the Docker engine: ${message}`, cause);
    }
    // A missing socket file is the engine being away, like a refused connection: retryable.
    if (code === 'ENOENT' || isTransportError(error) || /timeout/i.test(message)) {
      return new NetworkError(`Docker engine unreachable: ${message}`, cause);
    }
    return new DriverError(message, 'UNKNOWN_ERROR', false, cause);
  }
  if (status === 401) return new AuthenticationError(message, cause);

  switch (what.kind) {
    case 'container':
      return containerError(status, message, what, cause);
    case 'volume':
      if (status === 404) return new VolumeNotFoundError(what.id, cause);
      if (what.op === 'create') return new VolumeCreationError(what.id, message, cause);
      if (what.op === 'remove') return new VolumeRemoveError(what.id, message, cause);
      break;
    case 'network':
      if (status === 404) return new NetworkNotFoundError(what.id, cause);
      if (status === 409 && what.op === 'create') return new ConflictError(message, cause);
      if (what.op === 'create') return new NetworkCreationError(what.id, message, cause);
      if (what.op === 'remove') return new NetworkRemoveError(what.id, message, cause);
      break;
    case 'engine':
      break;
  }
  if (status === 403) return new AuthorizationError(message, cause);
  if (status === 409) return new ConflictError(message, cause);
  return new DriverError(message, 'ENGINE_ERROR', status >= 500, cause);
}

function containerError(
  status: number,
  message: string,
  what: Extract<EngineOperation, { kind: 'container' }>,
  cause: { cause: unknown },
): DriverError {
  if (what.op === 'create') {
    if (status === 409) return new ConflictError(message, cause);
    if (status === 404) {
      // On create a 404 is the image. This driver never pulls: no registry is assumed reachable.
      return new ContainerCreationError(
        `Image not found on the engine (the Docker driver does not pull; load or build it first): ${message}`,
        { name: what.name },
        { ...cause, retryable: false },
      );
    }
    // "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available": a request the
    // host can never satisfy, reported as the contract's resource limit.
    const cpuRange = /Range of CPUs is from [\d.]+ to ([\d.]+)/.exec(message);
    if (cpuRange && what.cpu !== undefined) {
      return new ResourceLimitError('cpu', Number(cpuRange[1]), what.cpu, cause);
    }
    if (/storage-?opt|quota/i.test(message)) {
      return new UnsupportedFeatureError(
        [{ feature: 'disk', path: 'resources.disk', reason: message }],
        undefined,
        cause,
      );
    }
    // 400 is a configuration the engine rejects: sending it again cannot succeed.
    return new ContainerCreationError(
      message,
      { name: what.name },
      {
        ...cause,
        retryable: status >= 500,
      },
    );
  }
  if (status === 404) return new ContainerNotFoundError(what.id, cause);
  switch (what.op) {
    case 'start':
      // An entrypoint that does not exist, or a bad mount, fails the same way every time.
      return new ContainerStartError(what.id, message, {
        ...cause,
        retryable: !/not found|no such file|permission denied|invalid/i.test(message),
      });
    case 'stop':
      return new ContainerStopError(what.id, message, cause);
    case 'remove':
      return new ContainerRemoveError(what.id, message, cause);
    default:
      if (status === 409) return new ConflictError(message, cause);
      return new DriverError(message, 'ENGINE_ERROR', status >= 500, cause);
  }
}
