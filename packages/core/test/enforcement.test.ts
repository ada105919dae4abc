import { describe, expect, it } from 'vitest';
import {
  checkEnforcement,
  type DriverCapabilities,
  parseContainerConfig,
  UnsupportedFeatureError,
} from '../src/index.js';

const everything: DriverCapabilities = {
  cpu: true,
  memory: true,
  pids: true,
  disk: true,
  readOnlyRootfs: true,
  noNewPrivileges: true,
  user: true,
  capabilityDrop: true,
  networks: 'isolated',
  volumes: true,
  ports: true,
  exec: true,
  stats: true,
  logsFollow: true,
  healthchecks: true,
  pause: false,
  signals: false,
  processes: false,
  processAttach: false,
  files: false,
  lifetimes: false,
};

describe('checkEnforcement', () => {
  const config = parseContainerConfig({ sessionId: 's', image: 'i', resources: { disk: 100 } });

  it('passes when the host enforces everything asked for', () => {
    expect(checkEnforcement(config, everything, 'strict')).toEqual([]);
  });

  it('fails closed under strict, naming each unenforced item and the way out', () => {
    const weak = { ...everything, disk: false, readOnlyRootfs: false };
    const error = (() => {
      try {
        checkEnforcement(config, weak, 'strict', 'local');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    const unsupported = error as UnsupportedFeatureError;
    expect(unsupported.features.map((f) => f.path)).toEqual([
      'resources.disk',
      'security.readOnly',
    ]);
    expect(unsupported.message).toMatch(/best-effort/);
    expect(unsupported.message).toMatch(/local/);
  });

  it('returns the list under best-effort', () => {
    const weak = { ...everything, memory: false };
    expect(checkEnforcement(config, weak, 'best-effort')).toEqual([
      { feature: 'memory', path: 'resources.memory' },
    ]);
  });

  it('asks only for what the config uses', () => {
    const plain = parseContainerConfig({
      sessionId: 's',
      image: 'i',
      security: { readOnly: false, noNewPrivileges: false, capabilities: { drop: [] } },
    });
    const weak = {
      ...everything,
      disk: false,
      readOnlyRootfs: false,
      noNewPrivileges: false,
      capabilityDrop: false,
      networks: false as const,
      volumes: false,
      ports: false,
      healthchecks: false,
      pause: false,
      signals: false,
      processes: false,
      processAttach: false,
      files: false,
      lifetimes: false,
    };
    expect(checkEnforcement(plain, weak, 'strict')).toEqual([]);
    const networked = parseContainerConfig({ sessionId: 's', image: 'i', network: 'n' });
    expect(() => checkEnforcement(networked, weak, 'strict')).toThrow(/networks/);
  });
});

describe('placement and restart', () => {
  const placed = parseContainerConfig({
    sessionId: 's',
    image: 'i',
    placement: { constraints: [{ key: 'node.role', value: 'worker' }], spread: ['node.id'] },
    restart: { condition: 'on-failure', maxAttempts: 3 },
  });

  it('fills the defaults: == for a constraint, no spread unless asked', () => {
    expect(placed.placement).toEqual({
      constraints: [{ key: 'node.role', operator: '==', value: 'worker' }],
      spread: ['node.id'],
    });
    expect(parseContainerConfig({ sessionId: 's', image: 'i', placement: {} }).placement).toEqual({
      constraints: [],
      spread: [],
    });
  });

  it('a driver that cannot place or restart refuses them under strict, lists them under best-effort', () => {
    expect(() => checkEnforcement(placed, everything, 'strict')).toThrow(UnsupportedFeatureError);
    expect(checkEnforcement(placed, everything, 'best-effort').map((f) => f.feature)).toEqual([
      'placement',
      'restarts',
    ]);
    expect(
      checkEnforcement(placed, { ...everything, placement: true, restarts: true }, 'strict'),
    ).toEqual([]);
  });

  it.each([
    [{ key: 'node.name', value: 'a' }, 'key'],
    [{ key: 'node.labels.', value: 'a' }, 'key'],
    [{ key: 'node.role', value: 'worker==x' }, 'value'],
    [{ key: 'node.role', value: 'a,node.id!=b' }, 'value'],
    [{ key: 'node.role', value: 'a b' }, 'value'],
    [{ key: 'node.role', value: '' }, 'value'],
    [{ key: 'node.role', operator: '=~', value: 'a' }, 'operator'],
  ])('refuses a constraint a scheduler could misread: %o', (constraint, field) => {
    let error: unknown;
    try {
      parseContainerConfig({
        sessionId: 's',
        image: 'i',
        placement: { constraints: [constraint] },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      issues: [expect.objectContaining({ path: ['placement', 'constraints', 0, field] })],
    });
  });

  it('refuses a spread over an attribute it cannot spread by, and a restart of 0 attempts', () => {
    expect(() =>
      parseContainerConfig({ sessionId: 's', image: 'i', placement: { spread: ['node.role'] } }),
    ).toThrow(/placement\.spread\.0|spread/);
    expect(() =>
      parseContainerConfig({
        sessionId: 's',
        image: 'i',
        restart: { condition: 'always', maxAttempts: 0 },
      }),
    ).toThrow(/restart/);
  });
});
