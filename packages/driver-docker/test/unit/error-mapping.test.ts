import {
  AuthorizationError,
  ConflictError,
  ContainerCreationError,
  ContainerNotFoundError,
  ContainerRemoveError,
  ContainerStartError,
  NetworkError,
  NetworkNotFoundError,
  NetworkRemoveError,
  ResourceLimitError,
  UnsupportedFeatureError,
  VolumeNotFoundError,
  VolumeRemoveError,
} from '@berth/core';
import { describe, expect, it } from 'vitest';
import { mapEngineError } from '../../src/engine/error-mapping.js';

function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) - ${message}`), {
    statusCode,
    json: { message },
  });
}

function transport(code: string): Error {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });
}

describe('mapEngineError', () => {
  const container = (op: 'start' | 'stop' | 'remove' | 'other') =>
    ({ kind: 'container', op, id: 'c1' }) as const;

  it('maps 404 to the not-found error of the object kind', () => {
    expect(
      mapEngineError(engineError(404, 'No such container: c1'), container('other')),
    ).toBeInstanceOf(ContainerNotFoundError);
    expect(
      mapEngineError(engineError(404, 'no such volume'), { kind: 'volume', op: 'remove', id: 'v' }),
    ).toBeInstanceOf(VolumeNotFoundError);
    expect(
      mapEngineError(engineError(404, 'no such network'), {
        kind: 'network',
        op: 'remove',
        id: 'n',
      }),
    ).toBeInstanceOf(NetworkNotFoundError);
  });

  it('maps a name conflict on create to a non-retryable ConflictError with the engine message', () => {
    const error = mapEngineError(
      engineError(409, 'Conflict. The container name "/x" is already in use'),
      {
        kind: 'container',
        op: 'create',
        name: 'x',
      },
    ) as ConflictError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('already in use');
  });

  it('maps a missing image on create to a non-retryable creation error', () => {
    const error = mapEngineError(engineError(404, 'No such image: nope:latest'), {
      kind: 'container',
      op: 'create',
    });
    expect(error).toBeInstanceOf(ContainerCreationError);
    expect((error as ContainerCreationError).retryable).toBe(false);
  });

  it('maps more CPU than the host has to ResourceLimitError with limit and request', () => {
    const error = mapEngineError(
      engineError(400, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'),
      { kind: 'container', op: 'create', cpu: 3 },
    );
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect(error).toMatchObject({ resource: 'cpu', limit: 2, requested: 3, retryable: false });
  });

  it('maps a refused storage option to UnsupportedFeatureError', () => {
    const error = mapEngineError(
      engineError(
        500,
        '--storage-opt is supported only for overlay over xfs with pquota mount option',
      ),
      { kind: 'container', op: 'create' },
    );
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
  });

  it('maps remove and start failures to their classes, with retryability by cause', () => {
    expect(
      mapEngineError(
        engineError(409, 'You cannot remove a running container'),
        container('remove'),
      ),
    ).toBeInstanceOf(ContainerRemoveError);
    const missing = mapEngineError(
      engineError(400, 'exec: "nope": executable file not found in $PATH'),
      container('start'),
    );
    expect(missing).toBeInstanceOf(ContainerStartError);
    expect((missing as ContainerStartError).retryable).toBe(false);
    expect(
      mapEngineError(engineError(403, 'has active endpoints'), {
        kind: 'network',
        op: 'remove',
        id: 'n',
      }),
    ).toBeInstanceOf(NetworkRemoveError);
    expect(
      mapEngineError(engineError(409, 'volume is in use'), {
        kind: 'volume',
        op: 'remove',
        id: 'v',
      }),
    ).toBeInstanceOf(VolumeRemoveError);
  });

  it('maps socket failures to retryable NetworkError and permission failures to AuthorizationError', () => {
    for (const code of ['ENOENT', 'ECONNREFUSED', 'ECONNRESET']) {
      const error = mapEngineError(transport(code), container('other')) as NetworkError;
      expect(error).toBeInstanceOf(NetworkError);
      expect(error.retryable).toBe(true);
    }
    expect(mapEngineError(transport('EACCES'), container('other'))).toBeInstanceOf(
      AuthorizationError,
    );
  });

  it('passes aborts through untouched', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(mapEngineError(abort, container('other'))).toBe(abort);
  });
});
