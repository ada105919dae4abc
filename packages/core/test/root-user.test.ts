import { describe, expect, it } from 'vitest';
import {
  createDriverConfig,
  createSecurityOptions,
  parseContainerConfig,
  parseExecOptions,
  parseSecurityOptions,
  validateContainerConfig,
  validateSecurityOptions,
} from '../src/index.js';
import { configurationError, issuesAt } from './fixtures/configuration-error.js';

const valid = { sessionId: 's1', image: 'busybox' };

const ROOT_USERS = ['0', '00', '000000', '0:0', '0:65534', 'root', 'root:root', 'ROOT'];
const ROOT_GROUPS = ['1000:0', '1000:00', '65534:0', 'nobody:root', 'app:ROOT'];
const NON_ROOT = [
  '65534:65534',
  '1000',
  '1000:1000',
  '10',
  '100:10',
  'nobody',
  'nobody:nogroup',
  'rooter',
  'rooter:rooter',
  '_root',
  'node',
  'app:staff',
];

function expectRootRefused(fn: () => unknown, path: (string | number)[]): string {
  const error = configurationError(fn);
  const found = issuesAt(error, path);
  expect(found, JSON.stringify(error.issues)).toHaveLength(1);
  expect(found[0]?.stage).toBe('security');
  const message = found[0]?.message ?? '';
  // Why: root in the container is root on the host; how to fix: a non-root user, or allowRoot.
  expect(message).toMatch(/root on the host unless a user namespace remaps it/);
  expect(message).toMatch(/'65534:65534'/);
  expect(message).toMatch(/allowRoot/);
  return message;
}

describe('root refused by default in security.user', () => {
  it.each(ROOT_USERS)("user '%s' (uid 0) is refused", (user) => {
    const message = expectRootRefused(
      () => parseContainerConfig({ ...valid, security: { user } }),
      ['security', 'user'],
    );
    expect(message).toMatch(/uid 0/);
    expect(validateContainerConfig({ ...valid, security: { user } })).toBe(false);
  });

  it.each(ROOT_GROUPS)("user '%s' (gid 0) is refused", (user) => {
    const message = expectRootRefused(
      () => parseContainerConfig({ ...valid, security: { user } }),
      ['security', 'user'],
    );
    expect(message).toMatch(/gid 0/);
  });

  it.each([...ROOT_USERS, ...ROOT_GROUPS])("allowRoot: true accepts '%s'", (user) => {
    expect(
      parseContainerConfig({ ...valid, security: { user } }, { allowRoot: true }),
    ).toMatchObject({ security: { user } });
    expect(validateContainerConfig({ ...valid, security: { user } }, { allowRoot: true })).toBe(
      true,
    );
  });

  it.each(NON_ROOT)("non-root user '%s' is accepted without allowRoot", (user) => {
    expect(parseContainerConfig({ ...valid, security: { user } }).security.user).toBe(user);
  });

  it('allowRoot: false is the default', () => {
    expectRootRefused(
      () => parseContainerConfig({ ...valid, security: { user: '0:0' } }, { allowRoot: false }),
      ['security', 'user'],
    );
  });

  it('the default user is not root', () => {
    expect(parseContainerConfig(valid).security.user).toBe('65534:65534');
  });

  it('applies to the security block and the builders alike', () => {
    expectRootRefused(() => parseSecurityOptions({ user: '0' }), ['user']);
    expectRootRefused(() => createSecurityOptions({ user: 'root' }), ['user']);
    expectRootRefused(
      () => createDriverConfig({ ...valid, security: { user: '0:0' } }),
      ['security', 'user'],
    );
    expect(validateSecurityOptions({ user: '0' })).toBe(false);
    expect(validateSecurityOptions({ user: '0' }, { allowRoot: true })).toBe(true);
    expect(createSecurityOptions({ user: '0:0' }, { allowRoot: true }).user).toBe('0:0');
  });

  it('refuses ids no runtime accepts, which some would wrap round to 0', () => {
    for (const user of ['4294967296', '1000:4294967296', '2147483648']) {
      const error = configurationError(() =>
        parseContainerConfig({ ...valid, security: { user } }, { allowRoot: true }),
      );
      expect(issuesAt(error, ['security', 'user'])[0]?.message).toMatch(/2147483647/);
    }
    expect(parseContainerConfig({ ...valid, security: { user: '2147483647' } }).security.user).toBe(
      '2147483647',
    );
  });

  it('is reported with the other problems of the config', () => {
    const error = configurationError(() =>
      parseContainerConfig({ ...valid, image: '', security: { user: '0:0' } }),
    );
    expect(error.issues.map((i) => [i.stage, i.path.join('.')])).toEqual([
      ['schema', 'image'],
      ['security', 'security.user'],
    ]);
  });
});

describe('root refused by default in the exec user', () => {
  it.each([...ROOT_USERS, ...ROOT_GROUPS])("exec user '%s' is refused", (user) => {
    expectRootRefused(() => parseExecOptions({ user }), ['user']);
    expectRootRefused(() => parseExecOptions({ user }, {}), ['user']);
  });

  it.each([...ROOT_USERS, ...ROOT_GROUPS])("allowRoot: true accepts exec user '%s'", (user) => {
    expect(parseExecOptions({ user }, { allowRoot: true }).user).toBe(user);
  });

  it.each(NON_ROOT)("non-root exec user '%s' is accepted", (user) => {
    expect(parseExecOptions({ user }).user).toBe(user);
  });

  it('no exec user at all is fine: the exec runs as the container user', () => {
    expect(parseExecOptions({}).user).toBeUndefined();
    expect(parseExecOptions().user).toBeUndefined();
  });
});
