import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  containerConfigIssues,
  NetworkConfigSchema,
  parseContainerConfig,
  parseInput,
  parseSecurityOptions,
  VolumeConfigSchema,
  validateContainerConfig,
  validateResourceLimits,
  validateSecurityOptions,
} from '../src/index.js';

const valid = { sessionId: 's1', image: 'busybox' };

function issuesOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseContainerConfig', () => {
  it('reports schema, resource and security problems at once, in stage order, with paths', () => {
    const error = issuesOf(() =>
      parseContainerConfig({
        sessionId: 's1',
        image: '',
        resources: { cpu: -1, memory: 256, pids: 10 },
        security: { capabilities: { drop: ['NOT_A_CAP'], add: [] } },
      }),
    );
    expect(error.code).toBe('CONFIGURATION_ERROR');
    expect(error.retryable).toBe(false);
    expect(error.issues.map((i) => [i.stage, i.path.join('.')])).toEqual([
      ['schema', 'image'],
      ['resources', 'resources.cpu'],
      ['security', 'security.capabilities.drop.0'],
    ]);
    expect(error.message).toContain('3 problems');
    expect(error.message).toContain('resources.cpu');
  });

  it('rejects unknown keys at the top and nested, naming them', () => {
    const error = issuesOf(() =>
      parseContainerConfig({ ...valid, privileged: true, resources: { cpu: 1, gpus: 2 } }),
    );
    const paths = error.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('');
    expect(paths).toContain('resources');
    expect(error.message).toMatch(/privileged/);
    expect(error.message).toMatch(/gpus/);
  });

  it('fills the secure defaults', () => {
    const config = parseContainerConfig(valid);
    expect(config.resources).toEqual({ cpu: 0.5, memory: 512, pids: 100 });
    expect(config.resources.disk).toBeUndefined();
    expect(config.security).toEqual({
      readOnly: true,
      noNewPrivileges: true,
      user: '65534:65534',
      capabilities: { drop: ['ALL'], add: [] },
    });
    expect(config.network).toBeUndefined();
    expect(config.env).toEqual({});
    expect(config.volumes).toEqual([]);
  });

  it('fills missing resource fields when some are given', () => {
    expect(parseContainerConfig({ ...valid, resources: { cpu: 2 } }).resources).toEqual({
      cpu: 2,
      memory: 512,
      pids: 100,
    });
  });

  it('publishes ports on loopback unless told otherwise', () => {
    const config = parseContainerConfig({ ...valid, ports: [{ container: 80 }] });
    expect(config.ports[0]).toEqual({ container: 80, hostIp: '127.0.0.1', protocol: 'tcp' });
  });

  it('rejects adding dangerous capabilities unless allow-listed', () => {
    for (const cap of ['SYS_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'NET_ADMIN', 'cap_sys_admin']) {
      const input = { ...valid, security: { capabilities: { add: [cap] } } };
      const error = issuesOf(() => parseContainerConfig(input));
      expect(error.issues[0]?.path).toEqual(['security', 'capabilities', 'add', 0]);
      expect(error.issues[0]?.message).toMatch(/allowCapabilities/);
      const normalized = cap.toUpperCase().replace(/^CAP_/, '');
      expect(
        parseContainerConfig(input, { allowCapabilities: [normalized] }).security.capabilities.add,
      ).toEqual([cap]);
    }
    expect(
      parseContainerConfig({ ...valid, security: { capabilities: { add: ['NET_BIND_SERVICE'] } } })
        .security.capabilities.add,
    ).toEqual(['NET_BIND_SERVICE']);
    expect(() =>
      parseContainerConfig({ ...valid, security: { capabilities: { add: ['ALL'] } } }),
    ).toThrow(/ALL/);
  });

  it('rejects relative and escaping volume targets and relative bind sources', () => {
    const error = issuesOf(() =>
      parseContainerConfig({
        ...valid,
        volumes: [
          { source: 'data', target: 'relative/path' },
          { source: 'data', target: '/ok/../etc' },
          { source: 'host/dir', target: '/mnt', type: 'bind' },
        ],
      }),
    );
    expect(error.issues.map((i) => i.path.join('.'))).toEqual([
      'volumes.0.target',
      'volumes.1.target',
      'volumes.2.source',
    ]);
    expect(error.issues.every((i) => i.stage === 'security')).toBe(true);
  });

  it('rejects an empty or malformed user', () => {
    expect(
      issuesOf(() => parseContainerConfig({ ...valid, security: { user: '' } })).issues[0],
    ).toMatchObject({
      path: ['security', 'user'],
      stage: 'security',
    });
    expect(
      issuesOf(() => parseContainerConfig({ ...valid, security: { user: '   ' } })).issues,
    ).toHaveLength(1);
    expect(
      issuesOf(() => parseContainerConfig({ ...valid, security: { user: 'a:b:c' } })).issues,
    ).toHaveLength(1);
    for (const user of ['1000', '1000:1000', 'node', 'app:staff']) {
      expect(parseContainerConfig({ ...valid, security: { user } }).security.user).toBe(user);
    }
  });

  it('rejects reserved labels, bad env names, bad names and out-of-range ports', () => {
    const error = issuesOf(() =>
      parseContainerConfig({
        ...valid,
        labels: { 'berth.session': 'other' },
        env: { 'BAD=NAME': 'x' },
        name: '-nope',
        ports: [{ container: 70000 }],
      }),
    );
    expect(error.issues.map((i) => i.path.join('.'))).toEqual([
      'labels.berth.session',
      'env.BAD=NAME',
      'name',
      'ports.0.container',
    ]);
  });

  it('checks resource ranges', () => {
    const error = issuesOf(() =>
      parseContainerConfig({ ...valid, resources: { cpu: 0, memory: 1, pids: 0, disk: -5 } }),
    );
    expect(error.issues.map((i) => i.path.join('.'))).toEqual([
      'resources.cpu',
      'resources.memory',
      'resources.disk',
      'resources.pids',
    ]);
  });

  it('reports wrong types in the schema stage without crashing later stages', () => {
    const { issues } = containerConfigIssues({
      sessionId: 7,
      image: 'x',
      resources: 'lots',
      security: { capabilities: 'none' },
      volumes: [null],
    });
    expect(issues.every((i) => i.stage === 'schema')).toBe(true);
    expect(issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['sessionId', 'resources', 'security.capabilities', 'volumes.0']),
    );
    expect(containerConfigIssues(null).issues[0]?.stage).toBe('schema');
  });
});

describe('parseInput', () => {
  it('turns any schema failure into a ConfigurationError with paths', () => {
    const error = issuesOf(() =>
      parseInput(VolumeConfigSchema, { name: '', sizeMb: -1 }, 'volume configuration'),
    );
    expect(error.message).toMatch(/Invalid volume configuration/);
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['name', 'sizeMb']);
    expect(parseInput(NetworkConfigSchema, { name: 'n' }, 'network').internal).toBe(true);
  });
});

describe('boolean validators', () => {
  it('validateContainerConfig', () => {
    expect(validateContainerConfig(valid)).toBe(true);
    expect(validateContainerConfig({ ...valid, image: '' })).toBe(false);
    expect(
      validateContainerConfig({ ...valid, security: { capabilities: { add: ['SYS_ADMIN'] } } }),
    ).toBe(false);
    expect(
      validateContainerConfig(
        { ...valid, security: { capabilities: { add: ['SYS_ADMIN'] } } },
        { allowCapabilities: ['SYS_ADMIN'] },
      ),
    ).toBe(true);
  });

  it('validateResourceLimits', () => {
    expect(validateResourceLimits({ cpu: 1, memory: 128, pids: 50 })).toBe(true);
    expect(validateResourceLimits({ cpu: -1, memory: 128, pids: 50 })).toBe(false);
    expect(validateResourceLimits({ cpu: 1, memory: 128, pids: 1.5 })).toBe(false);
    expect(validateResourceLimits({ cpu: 1, extra: 1 })).toBe(false);
  });

  it('validateSecurityOptions', () => {
    expect(validateSecurityOptions({})).toBe(true);
    expect(validateSecurityOptions({ user: '' })).toBe(false);
    expect(validateSecurityOptions({ capabilities: { drop: ['WHATEVER'] } })).toBe(false);
    expect(validateSecurityOptions({ capabilities: { add: ['NET_ADMIN'] } })).toBe(false);
    expect(
      validateSecurityOptions(
        { capabilities: { add: ['NET_ADMIN'] } },
        { allowCapabilities: ['NET_ADMIN'] },
      ),
    ).toBe(true);
  });

  it('parseSecurityOptions paths are relative to the security block', () => {
    const error = issuesOf(() => parseSecurityOptions({ user: '' }));
    expect(error.issues[0]?.path).toEqual(['user']);
  });
});
