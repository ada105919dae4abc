import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as core from '../src/index.js';

const {
  ConfigurationError,
  ContainerNotFoundError,
  DriverError,
  getErrorCode,
  getErrorMessage,
  isDriverError,
  isRetryableError,
  NetworkError,
  ResourceLimitError,
  TimeoutError,
  toDriverError,
  UnsupportedFeatureError,
} = core;

const cause = new Error('root cause');

// [instance, code, default retryable] for every class of the contract.
const table: [core.DriverError, string, boolean][] = [
  [new core.ContainerNotFoundError('c1'), 'CONTAINER_NOT_FOUND', false],
  [new core.ContainerCreationError('boom', { why: 1 }), 'CONTAINER_CREATION_FAILED', true],
  [new core.ContainerStartError('c1', 'boom'), 'CONTAINER_START_FAILED', true],
  [new core.ContainerStopError('c1', 'boom'), 'CONTAINER_STOP_FAILED', true],
  [new core.ContainerRemoveError('c1', 'boom'), 'CONTAINER_REMOVE_FAILED', false],
  [new core.VolumeCreationError('v', 'boom'), 'VOLUME_CREATION_FAILED', true],
  [new core.VolumeNotFoundError('v'), 'VOLUME_NOT_FOUND', false],
  [new core.VolumeRemoveError('v', 'boom'), 'VOLUME_REMOVE_FAILED', false],
  [new core.NetworkCreationError('n', 'boom'), 'NETWORK_CREATION_FAILED', true],
  [new core.NetworkNotFoundError('n'), 'NETWORK_NOT_FOUND', false],
  [new core.NetworkRemoveError('n', 'boom'), 'NETWORK_REMOVE_FAILED', false],
  [new core.DriverHealthError('down'), 'DRIVER_HEALTH_CHECK_FAILED', false],
  [new core.ResourceLimitError('cpu', 4, 8), 'RESOURCE_LIMIT_EXCEEDED', false],
  [new core.AuthenticationError('no'), 'AUTHENTICATION_FAILED', false],
  [new core.AuthorizationError('no'), 'AUTHORIZATION_FAILED', false],
  [new core.ConfigurationError('bad'), 'CONFIGURATION_ERROR', false],
  [new core.TimeoutError('createContainer', 500), 'TIMEOUT_ERROR', true],
  [new core.NetworkError('socket'), 'NETWORK_ERROR', true],
  [new core.FileSystemError('disk'), 'FILE_SYSTEM_ERROR', false],
  [new core.UnsupportedFeatureError(['disk']), 'UNSUPPORTED_FEATURE', false],
];

describe('error classes', () => {
  it.each(table)('%s has its code and default retryable flag', (error, code, retryable) => {
    expect(error).toBeInstanceOf(DriverError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.name).toBe(error.constructor.name);
    expect(isDriverError(error)).toBe(true);
    expect(isRetryableError(error)).toBe(retryable);
    expect(getErrorCode(error)).toBe(code);
  });

  it('keep the established constructor arguments in their messages and fields', () => {
    const notFound = new ContainerNotFoundError('abc');
    expect(notFound.message).toBe('Container not found: abc');
    expect(notFound.containerId).toBe('abc');
    const limit = new ResourceLimitError('cpu', 4, 8);
    expect([limit.resource, limit.limit, limit.requested]).toEqual(['cpu', 4, 8]);
    expect(limit.message).toMatch(/cpu.*8.*4/);
    const timeout = new TimeoutError('stopContainer', 250);
    expect([timeout.operation, timeout.ms]).toEqual(['stopContainer', 250]);
    expect(new DriverError('m', 'X').retryable).toBe(false);
    expect(new DriverError('m', 'X', true).retryable).toBe(true);
  });

  it('each takes a last { cause, retryable } and keeps cause as error.cause', () => {
    const withCause: core.DriverError[] = [
      new core.ContainerNotFoundError('c', { cause }),
      new core.ContainerCreationError('m', undefined, { cause }),
      new core.ContainerStartError('c', 'm', { cause }),
      new core.ResourceLimitError('cpu', 1, 2, { cause }),
      new core.TimeoutError('op', 1, { cause }),
      new core.ConfigurationError('m', [], { cause }),
      new core.UnsupportedFeatureError(['x'], undefined, { cause }),
      new core.NetworkError('m', { cause }),
    ];
    for (const error of withCause) expect(error.cause).toBe(cause);
    expect(new core.ContainerNotFoundError('c').cause).toBeUndefined();

    const notRetryable = new core.ContainerStartError('c', 'no such executable', {
      retryable: false,
    });
    expect(notRetryable.retryable).toBe(false);
    expect(isRetryableError(notRetryable)).toBe(false);
    expect(new core.ContainerRemoveError('c', 'busy', { retryable: true }).retryable).toBe(true);
  });

  it('ConfigurationError carries issues; UnsupportedFeatureError names each feature', () => {
    const issues = [{ path: ['image'], message: 'empty', stage: 'schema' as const }];
    expect(new ConfigurationError('bad', issues).issues).toBe(issues);
    const unsupported = new UnsupportedFeatureError(
      [{ feature: 'disk', path: 'resources.disk' }, 'readOnlyRootfs'],
      'Use best-effort.',
    );
    expect(unsupported.features.map((f) => f.feature)).toEqual(['disk', 'readOnlyRootfs']);
    expect(unsupported.message).toContain('disk (resources.disk)');
    expect(unsupported.message).toContain('Use best-effort.');
    expect(unsupported.hint).toBe('Use best-effort.');
  });

  it('UnsupportedFeatureError takes one feature, by name or as an object', () => {
    const byName = new UnsupportedFeatureError('memory');
    expect(byName.features).toEqual([{ feature: 'memory', path: 'memory' }]);
    expect(byName.message).toContain('memory (memory)');
    const one = new UnsupportedFeatureError({
      feature: 'disk',
      path: 'resources.disk',
      reason: 'overlay2 on ext4',
    });
    expect(one.features).toEqual([
      { feature: 'disk', path: 'resources.disk', reason: 'overlay2 on ext4' },
    ]);
    expect(one.message).toContain('disk (resources.disk: overlay2 on ext4)');
  });
});

describe('X.isInstance', () => {
  it('answers for its own class only, and DriverError for all', () => {
    for (const [error] of table) {
      expect(DriverError.isInstance(error)).toBe(true);
      for (const [other] of table) {
        const otherClass = other.constructor as typeof DriverError;
        expect(otherClass.isInstance(error), `${otherClass.name}.isInstance(${error.name})`).toBe(
          otherClass === error.constructor,
        );
      }
    }
    expect(ContainerNotFoundError.isInstance(new NetworkError('x'))).toBe(false);
    expect(NetworkError.isInstance(new DriverError('m', 'NETWORK_ERROR'))).toBe(false);
  });

  it('is true for subclasses, never for a parent or a sibling', () => {
    class GoneForGood extends ContainerNotFoundError {}
    const gone = new GoneForGood('c1');
    expect(ContainerNotFoundError.isInstance(gone)).toBe(true);
    expect(DriverError.isInstance(gone)).toBe(true);
    expect(GoneForGood.isInstance(gone)).toBe(true);
    expect(GoneForGood.isInstance(new ContainerNotFoundError('c1'))).toBe(false);
    expect(NetworkError.isInstance(gone)).toBe(false);
    expect(gone.name).toBe('GoneForGood');
  });

  it('tells a class from an unrelated one of the same name', () => {
    // A plugin's own NetworkError is not the contract's.
    const plugin = {
      NetworkError: class NetworkError extends DriverError {
        constructor() {
          super('plugin', 'PLUGIN_NETWORK');
        }
      },
    };
    expect(NetworkError.isInstance(new plugin.NetworkError())).toBe(false);
    expect(plugin.NetworkError.isInstance(new NetworkError('core'))).toBe(false);
    expect(plugin.NetworkError.isInstance(new plugin.NetworkError())).toBe(true);
  });

  it("uses a class's ERROR_BRAND over its name", () => {
    const makeQuota = () =>
      class QuotaError extends DriverError {
        static readonly [core.ERROR_BRAND] = 'my-package/QuotaError';
        constructor() {
          super('over quota', 'QUOTA');
        }
      };
    // Two definitions of the class (as two copies of a package would make) are one brand.
    const First = makeQuota();
    const Second = makeQuota();
    expect(First.isInstance(new Second())).toBe(true);
    class QuotaError extends DriverError {}
    expect(First.isInstance(new QuotaError('m', 'QUOTA'))).toBe(false);
  });

  it('is false for anything that is not an error of the class, hostile values included', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    for (const value of [undefined, null, 0, 'CONTAINER_NOT_FOUND', {}, new Error('x'), hostile]) {
      expect(DriverError.isInstance(value)).toBe(false);
      expect(ContainerNotFoundError.isInstance(value)).toBe(false);
      expect(isDriverError(value)).toBe(false);
    }
    expect(isDriverError({ name: 'ContainerNotFoundError', code: 'CONTAINER_NOT_FOUND' })).toBe(
      false,
    );
  });

  it('called detached from its class is a ConfigurationError saying how to call it', () => {
    const { isInstance } = ContainerNotFoundError;
    const error = (() => {
      try {
        return (isInstance as (value: unknown) => boolean)(new NetworkError('x'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/ContainerNotFoundError\.isInstance\(value\)/);
  });
});

describe('helpers', () => {
  it('recognise only driver errors', () => {
    expect(isDriverError(new Error('x'))).toBe(false);
    expect(isDriverError({ code: 'CONTAINER_NOT_FOUND', retryable: true })).toBe(false);
    expect(isDriverError(null)).toBe(false);
    expect(isRetryableError(Object.assign(new Error('x'), { retryable: true }))).toBe(false);
  });

  it('getErrorCode and getErrorMessage accept anything', () => {
    // Only Berth errors have a Berth code: a system error's code is another vocabulary.
    expect(getErrorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(getErrorCode({ code: 'CONTAINER_NOT_FOUND' })).toBeUndefined();
    expect(getErrorCode('nope')).toBeUndefined();
    expect(getErrorCode(undefined)).toBeUndefined();
    expect(getErrorCode(null)).toBeUndefined();
    expect(getErrorCode(new DriverError('m', 'MY_CODE'))).toBe('MY_CODE');
    expect(getErrorMessage(new Error('m'))).toBe('m');
    expect(getErrorMessage('plain')).toBe('plain');
    expect(getErrorMessage({ message: 'obj' })).toBe('obj');
    expect(getErrorMessage({ a: 1 })).toBe('{"a":1}');
    expect(getErrorMessage(42)).toBe('42');
  });

  it('toDriverError maps transport failures to retryable NetworkError and keeps the rest', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
    });
    const mapped = toDriverError(refused);
    expect(mapped).toBeInstanceOf(NetworkError);
    expect(mapped.retryable).toBe(true);
    expect(mapped.cause).toBe(refused);
    expect(toDriverError(new Error('socket hang up')).code).toBe('NETWORK_ERROR');
    const known = new ContainerNotFoundError('x');
    expect(toDriverError(known)).toBe(known);
    const other = toDriverError({ weird: true });
    expect(other.code).toBe('UNKNOWN_ERROR');
    expect(other.retryable).toBe(false);
    expect(toDriverError('text').message).toBe('text');
  });

  it('isTransportError tells unreachable backends from other failures', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']) {
      expect(core.isTransportError(errno(code)), code).toBe(true);
    }
    // A missing file is a filesystem problem, not an unreachable backend.
    expect(core.isTransportError(errno('ENOENT'))).toBe(false);
    expect(core.isTransportError(new Error('boom'))).toBe(false);
  });
});

describe('a second, separately loaded copy of @berth/core', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const packageRoot = join(here, '..');
  const copy = mkdtempSync(join(tmpdir(), 'berth-core-copy-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('throws errors that isDriverError recognises, though instanceof does not', async () => {
    // The built package (turbo builds before testing), copied elsewhere so it gets its own
    // module identity; zod linked in as an installed dependency would be.
    const built = join(packageRoot, 'dist', 'index.js');
    expect(existsSync(built), 'run the build first: pnpm --filter @berth/core build').toBe(true);
    cpSync(join(packageRoot, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(packageRoot, 'package.json'), join(copy, 'package.json'));
    mkdirSync(join(copy, 'node_modules'));
    const zodDir = dirname(
      createRequire(join(packageRoot, 'package.json')).resolve('zod/package.json'),
    );
    symlinkSync(zodDir, join(copy, 'node_modules', 'zod'));

    const other = (await import(pathToFileURL(join(copy, 'dist', 'index.js')).href)) as typeof core;
    expect(other.DriverError).not.toBe(DriverError);
    const foreign = new other.ContainerNotFoundError('from-plugin');
    expect(foreign instanceof DriverError).toBe(false);
    expect(isDriverError(foreign)).toBe(true);
    expect(DriverError.isInstance(foreign)).toBe(true);
    expect(getErrorCode(foreign)).toBe('CONTAINER_NOT_FOUND');
    // Each class answers for itself across copies too.
    expect(ContainerNotFoundError.isInstance(foreign)).toBe(true);
    expect(NetworkError.isInstance(foreign)).toBe(false);
    expect(ConfigurationError.isInstance(new other.ConfigurationError('bad'))).toBe(true);
    expect(other.ContainerNotFoundError.isInstance(new ContainerNotFoundError('ours'))).toBe(true);
    expect(other.ContainerNotFoundError.isInstance(new NetworkError('ours'))).toBe(false);
    expect(other.DriverError.isInstance(new TimeoutError('op', 1))).toBe(true);
    class PluginNotFound extends other.ContainerNotFoundError {}
    expect(ContainerNotFoundError.isInstance(new PluginNotFound('p'))).toBe(true);
    expect(TimeoutError.isInstance(new PluginNotFound('p'))).toBe(false);
    expect(isRetryableError(new other.NetworkError('down'))).toBe(true);
    expect(toDriverError(foreign)).toBe(foreign);
    // And the other way round.
    expect(other.isDriverError(new ContainerNotFoundError('ours'))).toBe(true);
  });
});
