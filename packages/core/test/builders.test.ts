import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  createDriverConfig,
  createResourceLimits,
  createSecurityOptions,
} from '../src/index.js';

describe('builders', () => {
  it('createResourceLimits fills cpu 0.5, memory 512 MB, pids 100 and no disk', () => {
    expect(createResourceLimits()).toEqual({ cpu: 0.5, memory: 512, pids: 100 });
    expect(createResourceLimits({ memory: 1024 })).toEqual({ cpu: 0.5, memory: 1024, pids: 100 });
    expect(createResourceLimits({ disk: 100 }).disk).toBe(100);
  });

  it('createSecurityOptions fills read-only root, no-new-privileges, 65534:65534 and drop ALL', () => {
    expect(createSecurityOptions()).toEqual({
      readOnly: true,
      noNewPrivileges: true,
      user: '65534:65534',
      capabilities: { drop: ['ALL'], add: [] },
    });
    expect(createSecurityOptions({ readOnly: false }).readOnly).toBe(false);
  });

  it('createDriverConfig fills everything and leaves the network unset', () => {
    const config = createDriverConfig({ sessionId: 's', image: 'img' });
    expect(config.resources).toEqual({ cpu: 0.5, memory: 512, pids: 100 });
    expect(config.security.user).toBe('65534:65534');
    expect(config.network).toBeUndefined();
  });

  it('never shares mutable defaults between calls', () => {
    const a = createSecurityOptions();
    a.capabilities.drop.push('CHOWN');
    a.capabilities.add.push('KILL');
    expect(createSecurityOptions().capabilities).toEqual({ drop: ['ALL'], add: [] });

    const r = createResourceLimits();
    r.cpu = 99;
    expect(createResourceLimits().cpu).toBe(0.5);

    const c1 = createDriverConfig({ sessionId: 's', image: 'i' });
    c1.env.X = '1';
    c1.labels.y = '2';
    c1.volumes.push({ source: 'v', target: '/v', readOnly: false, type: 'volume' });
    c1.security.capabilities.drop.length = 0;
    c1.resources.memory = 1;
    const c2 = createDriverConfig({ sessionId: 's', image: 'i' });
    expect(c2.env).toEqual({});
    expect(c2.labels).toEqual({});
    expect(c2.volumes).toEqual([]);
    expect(c2.security.capabilities.drop).toEqual(['ALL']);
    expect(c2.resources.memory).toBe(512);
  });

  it('does not alias the caller’s input', () => {
    const env = { A: '1' };
    const config = createDriverConfig({ sessionId: 's', image: 'i', env });
    config.env.B = '2';
    expect(env).toEqual({ A: '1' });
  });

  it('throws ConfigurationError for invalid input', () => {
    expect(() => createResourceLimits({ cpu: -1 })).toThrow(ConfigurationError);
    expect(() => createSecurityOptions({ user: '' })).toThrow(ConfigurationError);
    expect(() => createDriverConfig({ sessionId: '', image: 'i' })).toThrow(ConfigurationError);
  });
});
